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
    DueTimeWaker dueTimes,
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

    /// <summary>Wakes the pollers when delayed jobs and retries fall due; told of each local run-at.</summary>
    public DueTimeWaker DueTimes { get; } = dueTimes;

    public ILogger Logger { get; } = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("TaskRunner");

    public RetryBackoff Backoff { get; } = new(options.Value.RetryBaseDelay, options.Value.RetryMaxDelay);
}
