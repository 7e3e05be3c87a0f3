using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>Delivers lifecycle events to the registered <see cref="IJobObserver"/>s; an observer that throws is logged and skipped.</summary>
internal sealed class JobEvents(IEnumerable<IJobObserver> observers, ILogger<JobEvents>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<JobEvents>.Instance;
    private readonly IJobObserver[] _observers = [.. observers];

    public bool HasObservers => _observers.Length > 0;

    public void Raise(in JobEvent jobEvent)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnEvent(jobEvent);
            }
#pragma warning disable CA1031 // Host code must not break the worker: any observer failure is logged and ignored.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.ObserverFailed(_logger, observer.GetType().Name, ex);
            }
        }
    }
}
