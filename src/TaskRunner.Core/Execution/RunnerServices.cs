using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>What every part of the running engine shares, resolved once.</summary>
internal sealed class RunnerServices(
    IJobStore store,
    JobRegistry registry,
    IOptions<TaskRunnerOptions> options,
    TimeProvider timeProvider,
    IServiceScopeFactory scopeFactory,
    IEnumerable<IJobMiddleware> middleware,
    JobEvents events,
    LocalSignals signals,
    TaskRunnerDiagnostics diagnostics,
    NodeIdentity node,
    SchedulerWakeup scheduler,
    ILoggerFactory? loggerFactory = null)
{
    public IJobStore Store { get; } = store;

    public JobRegistry Registry { get; } = registry;

    public TaskRunnerOptions Options { get; } = options.Value;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public IServiceScopeFactory ScopeFactory { get; } = scopeFactory;

    public IJobMiddleware[] Middleware { get; } = [.. middleware];

    public JobEvents Events { get; } = events;

    public LocalSignals Signals { get; } = signals;

    public TaskRunnerDiagnostics Diagnostics { get; } = diagnostics;

    public NodeIdentity Node { get; } = node;

    /// <summary>Wakes the scheduler, which sleeps until the earliest stored run-at (delayed jobs, retries).</summary>
    public SchedulerWakeup Scheduler { get; } = scheduler;

    public ILogger Logger { get; } = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("TaskRunner");

    public RetryBackoff Backoff { get; } = new(options.Value.RetryBaseDelay, options.Value.RetryMaxDelay);
}
