using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Polly;
using Polly.CircuitBreaker;
using PollyCircuitState = Polly.CircuitBreaker.CircuitState;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// The hosted service: prepares the store, then runs one <see cref="QueueProcessor"/> per queue, the heartbeat loop,
/// and the maintenance loop (stale-lease recovery and retention). Stopping stops claiming, lets running jobs finish
/// within the shutdown timeout, then cancels them and hands their leases back without counting the attempt.
/// </summary>
internal sealed class JobRunner(
    RunnerServices runner,
    IEnumerable<IStoreInitializer> initializers,
    IServiceProvider services) : IHostedService, ITaskRunnerMonitor, IDisposable
{
    private const int RecoveryBatch = 1000;

    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopLoops = new();
    private readonly HeldLeases _leases = new(runner);
    private QueueProcessor[] _queues = [];
    private CompletionWriter? _completions;
    private Task _heartbeats = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private TaskRunnerState _state;

    public event EventHandler<TaskRunnerState>? StateChanged;

    public TaskRunnerState State => _state;

    public Exception? Failure { get; private set; }

    public CircuitBreakerState CircuitState => _circuit.CircuitState switch
    {
        PollyCircuitState.Open or PollyCircuitState.Isolated => CircuitBreakerState.Open,
        PollyCircuitState.HalfOpen => CircuitBreakerState.HalfOpen,
        _ => CircuitBreakerState.Closed,
    };

    public int BusyWorkers => _queues.Sum(q => q.InFlight);

    public int StaleLeasesRecovered { get; private set; }

    /// <summary>The last counted depth of a queue (-1 before the first count).</summary>
    internal long QueueDepth(string queue) => _queues.FirstOrDefault(q => q.Name == queue)?.LastQueueDepth ?? -1;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        SetState(TaskRunnerState.Starting);
        try
        {
            foreach (var initializer in initializers)
            {
                await initializer.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }

            var options = runner.Options;
            var queues = options.Queues.Count > 0 ? options.Queues.Values.ToArray() : [new QueueOptions(JobOptions.DefaultQueue)];
            var global = options.GlobalConcurrency is { } limit ? new GlobalLimiter(limit) : null;
            var pipeline = BuildPipeline();
            _completions = new CompletionWriter(runner, _leases);
            _queues = [.. queues.Select(q => new QueueProcessor(
                runner, q, PollingStrategies.Create(services, q), pipeline, _completions, global, _leases))];
            runner.Diagnostics.AddGauges(() => BusyWorkers, () => (int)CircuitState, QueueDepths);

            // Jobs left running by a process that died before this one started are due for recovery now.
            await RecoverAsync(cancellationToken).ConfigureAwait(false);
            foreach (var queue in _queues)
            {
                queue.Start(_stopClaiming.Token);
            }

            // Timers are created here, not in the loops, so their first tick is measured from the start.
            var heartbeatTimer = new PeriodicTimer(runner.Options.HeartbeatInterval, runner.TimeProvider);
            var maintenanceTimer = new PeriodicTimer(runner.Options.StaleLeaseCheckInterval, runner.TimeProvider);
            _heartbeats = Task.Run(() => HeartbeatLoopAsync(heartbeatTimer, _stopLoops.Token), CancellationToken.None);
            _maintenance = Task.Run(() => MaintenanceLoopAsync(maintenanceTimer, _stopLoops.Token), CancellationToken.None);
            Log.RunnerStarted(runner.Logger, runner.Node.Id, string.Join(", ", _queues.Select(q => q.Name)));
            SetState(TaskRunnerState.Running);
        }
        catch (Exception ex)
        {
            Failure = ex;
            Log.StartFailed(runner.Logger, ex);
            SetState(TaskRunnerState.Failed);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_state is not (TaskRunnerState.Running or TaskRunnerState.Starting))
        {
            return;
        }

        SetState(TaskRunnerState.Stopping);
        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        foreach (var queue in _queues)
        {
            await queue.StopClaimingAsync().ConfigureAwait(false);
        }

        var workers = Task.WhenAll(_queues.Select(q => q.WorkersDone));
        try
        {
            await workers.WaitAsync(runner.Options.ShutdownTimeout, runner.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // Out of patience: cancel what still runs; each handler's report becomes a hand-back (Pending, attempt not counted).
            var running = _queues.SelectMany(q => q.Workers).Where(w => w.Current is not null).ToList();
            Log.ShutdownCancelling(runner.Logger, running.Count);
            foreach (var worker in running)
            {
                if (worker.Current is { } job)
                {
                    worker.TryCancel(job.Id, CancelReason.Shutdown);
                }
            }

            try
            {
                await workers.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host ran out of patience too: a handler ignoring its token keeps its lease until it expires, and the
                // job is then recovered by another process (the attempt counted), so nothing is lost.
                Log.ShutdownAbandoned(runner.Logger, _queues.Sum(q => q.InFlight));
            }
        }

        if (_completions is not null)
        {
            await _completions.DrainAsync().ConfigureAwait(false);
        }

        await _stopLoops.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_heartbeats, _maintenance).ConfigureAwait(false);
        Log.RunnerStopped(runner.Logger, runner.Node.Id);
        SetState(TaskRunnerState.Stopped);
    }

    public void Dispose()
    {
        _stopClaiming.Dispose();
        _stopLoops.Dispose();
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
    }

    private ResiliencePipeline BuildPipeline()
    {
        var settings = runner.Options.CircuitBreaker;
        return new ResiliencePipelineBuilder { TimeProvider = runner.TimeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // With every call failing, N failures open it; a success or two in the same window do not keep it closed.
                FailureRatio = settings.FailureRatio,
                MinimumThroughput = settings.FailureThreshold,
                SamplingDuration = settings.SamplingDuration,
                BreakDuration = settings.BreakDuration,
                StateProvider = _circuit,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                OnOpened = args =>
                {
                    Log.CircuitOpened(runner.Logger, args.BreakDuration);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpen(runner.Logger);
                    return default;
                },
                OnClosed = _ =>
                {
                    Log.CircuitClosed(runner.Logger);
                    return default;
                },
            })
            .Build();
    }

    private async Task HeartbeatLoopAsync(PeriodicTimer timer, CancellationToken stop)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                // Off the timer's thread: store calls must not run inside the clock's timer callback.
                await Task.Yield();
                try
                {
                    // Every held lease, not only the running jobs': a prefetched job and a report waiting to be stored
                    // stay leased too, or another process recovers the job and runs it again.
                    var result = await _leases.RenewAllAsync(stop).ConfigureAwait(false);
                    if (result.Lost.Count > 0 || result.CancellationRequested.Count > 0)
                    {
                        CancelRunning(result);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.HeartbeatFailed(runner.Logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void CancelRunning(HeartbeatResult result)
    {
        foreach (var worker in _queues.SelectMany(q => q.Workers))
        {
            if (worker.Current is not { } job)
            {
                continue;
            }

            if (result.Lost.Contains(job.Id))
            {
                worker.TryCancel(job.Id, CancelReason.LeaseLost);
            }
            else if (result.CancellationRequested.Contains(job.Id))
            {
                worker.TryCancel(job.Id, CancelReason.CancellationRequested);
            }
        }
    }

    private async Task MaintenanceLoopAsync(PeriodicTimer timer, CancellationToken stop)
    {
        using var owned = timer;
        var nextPurge = runner.TimeProvider.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await Task.Yield();
                await RecoverAsync(stop).ConfigureAwait(false);
                await CountQueuesAsync(stop).ConfigureAwait(false);
                if (runner.TimeProvider.GetUtcNow() >= nextPurge)
                {
                    await PurgeAsync(stop).ConfigureAwait(false);
                    nextPurge = runner.TimeProvider.GetUtcNow() + runner.Options.RetentionCheckInterval;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await runner.Store.RecoverExpiredLeasesAsync(runner.TimeProvider.GetUtcNow(), RecoveryBatch, cancellationToken).ConfigureAwait(false);
            StaleLeasesRecovered = result.Requeued + result.DeadLettered;
            if (result.Requeued + result.DeadLettered > 0)
            {
                Log.LeasesRecovered(runner.Logger, result.Requeued, result.DeadLettered);
                runner.Signals.WakeAll();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MaintenanceFailed(runner.Logger, "stale lease recovery", ex);
        }
    }

    /// <summary>Refreshes each queue's depth: a count is too dear for every poll, cheap enough once per maintenance tick.</summary>
    private async Task CountQueuesAsync(CancellationToken cancellationToken)
    {
        foreach (var queue in _queues)
        {
            try
            {
                queue.LastQueueDepth = (await runner.Store.CountAsync(queue.Name, cancellationToken).ConfigureAwait(false)).Pending;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.MaintenanceFailed(runner.Logger, "queue depth count", ex);
            }
        }
    }

    private async Task PurgeAsync(CancellationToken cancellationToken)
    {
        var now = runner.TimeProvider.GetUtcNow();
        var options = runner.Options;
        (JobState State, TimeSpan? Retention)[] rules =
        [
            (JobState.Succeeded, options.FinishedJobRetention),
            (JobState.Cancelled, options.FinishedJobRetention),
            (JobState.DeadLettered, options.DeadLetterRetention),
        ];
        foreach (var (state, retention) in rules)
        {
            if (retention is not { } keep)
            {
                continue;
            }

            try
            {
                var purged = await runner.Store.PurgeAsync(new PurgeRequest { State = state, FinishedBefore = now - keep }, cancellationToken).ConfigureAwait(false);
                if (purged > 0)
                {
                    Log.Purged(runner.Logger, purged, state);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.MaintenanceFailed(runner.Logger, "retention purge", ex);
            }
        }
    }

    private IEnumerable<Measurement<long>> QueueDepths() =>
        _queues.Select(q => new Measurement<long>(q.LastQueueDepth, new KeyValuePair<string, object?>("queue", q.Name)));

    private void SetState(TaskRunnerState state)
    {
        _state = state;
        StateChanged?.Invoke(this, state);
    }
}
