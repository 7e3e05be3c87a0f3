using System.Collections.Concurrent;

namespace TaskRunner.Tests.Support;

/// <summary>Records lifecycle events and lets a test await a specific one.</summary>
internal sealed class EventRecorder : IJobObserver
{
    private readonly Lock _gate = new();
    private readonly List<JobEvent> _events = [];
    private readonly List<(Func<JobEvent, bool> Match, TaskCompletionSource<JobEvent> Signal)> _waiters = [];

    public IReadOnlyList<JobEvent> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public void OnEvent(in JobEvent jobEvent)
    {
        List<TaskCompletionSource<JobEvent>> matched = [];
        lock (_gate)
        {
            _events.Add(jobEvent);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(jobEvent))
                {
                    matched.Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var signal in matched)
        {
            signal.TrySetResult(jobEvent);
        }
    }

    /// <summary>Completes with the first event (past or future) that matches.</summary>
    public Task<JobEvent> WaitFor(Func<JobEvent, bool> match)
    {
        lock (_gate)
        {
            foreach (var e in _events)
            {
                if (match(e))
                {
                    return Task.FromResult(e);
                }
            }

            var signal = new TaskCompletionSource<JobEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public Task<JobEvent> WaitFor(JobEventKind kind, JobId id, int? attempt = null) =>
        WaitFor(e => e.Kind == kind && e.JobId == id && (attempt is null || e.Attempt == attempt));
}
