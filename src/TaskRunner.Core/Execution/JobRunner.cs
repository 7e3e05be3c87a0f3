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
    IServiceProvider services) : IHostedService, ITaskRunnerMonitor, IDisposable, IAsyncDisposable
{
    private const int RecoveryBatch = 1000;

    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopLoops = new();
    private QueueProcessor[] _queues = [];
    private CompletionWriter? _completions;
    private Task _heartbeats = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private Task _reportsWritten = Task.CompletedTask;
    private Task _dueTimes = Task.CompletedTask;
    private TaskRunnerState _state;
    private ResiliencePipeline _pipeline = ResiliencePipeline.Empty;
    private volatile Exception? _lastStoreError;
    private TimeSpan? _hostShutdownTimeout;
    private bool _disposed;

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

    public Exception? LastStoreError => _lastStoreError;
    /// <summary>Every loop of the runner: the queues' workers, the heartbeat, the maintenance and the report writer. Complete
    /// once the runner has stopped, unless a handler that ignored its token still runs.</summary>
    internal Task Loops => Task.WhenAll(
        [.. _queues.Select(q => q.WorkersDone), _heartbeats, _maintenance, _reportsWritten, _dueTimes]);

    /// <summary>How long running jobs may finish at shutdown: <see cref="TaskRunnerOptions.ShutdownTimeout"/>, but never
    /// past the host's own shutdown timeout less the time kept to cancel them and store their hand-backs.</summary>
    internal TimeSpan ShutdownGrace => _hostShutdownTimeout is { } host
        ? TimeSpan.FromTicks(Math.Min(runner.Options.ShutdownTimeout.Ticks, (host - HostShutdownTimeout.HandBackReserve(host)).Ticks))
        : runner.Options.ShutdownTimeout;

    /// <summary>The last counted depth of a queue (-1 before the first count).</summary>
    internal long QueueDepth(string queue) => _queues.FirstOrDefault(q => q.Name == queue)?.LastQueueDepth ?? -1;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        SetState(TaskRunnerState.Starting);
        try
        {
            _hostShutdownTimeout = HostShutdownTimeout.Read(services);
            if (_hostShutdownTimeout is { } hostTimeout && hostTimeout < runner.Options.ShutdownTimeout)
            {
                Log.ShutdownTimeoutMismatch(runner.Logger, hostTimeout, runner.Options.ShutdownTimeout, ShutdownGrace);
            }

            foreach (var initializer in initializers)
            {
                await initializer.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }

            var options = runner.Options;
            var queues = options.Queues.Count > 0 ? options.Queues.Values.ToArray() : [new QueueOptions(JobOptions.DefaultQueue)];
            var global = options.GlobalConcurrency is { } limit ? new GlobalLimiter(limit) : null;
            _pipeline = BuildPipeline();
            _completions = new CompletionWriter(runner);
            _queues = [.. queues.Select(q => new QueueProcessor(
                runner, q, PollingStrategies.Create(services, q), _pipeline, _completions, global))];
            runner.Diagnostics.AddGauges(() => BusyWorkers, () => (int)CircuitState, QueueDepths);

            // Jobs left running by a process that died before this one started are due for recovery now.
            await RecoverAsync(cancellationToken).ConfigureAwait(false);
            foreach (var queue in _queues)
            {
                queue.Start(_stopClaiming.Token);
            }

            // Due times of delayed jobs and retries wake the pollers whether or not the recurring scheduler runs here.
            _dueTimes = Task.Run(() => runner.DueTimes.RunAsync(_stopClaiming.Token), CancellationToken.None);

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

    public Task StopAsync(CancellationToken cancellationToken) => StopAsync(ShutdownGrace, cancellationToken);

    /// <summary>Stops claiming, gives running jobs <paramref name="grace"/> to finish, then cancels them and waits for their
    /// hand-backs until <paramref name="cancellationToken"/> (the host giving up) fires.</summary>
    private async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_state is not (TaskRunnerState.Running or TaskRunnerState.Starting))
        {
            return;
        }

        // The grace counts from the stop request (the host's timeout does too), not from when claiming has stopped.
        var deadline = runner.TimeProvider.GetUtcNow() + grace;
        SetState(TaskRunnerState.Stopping);
        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        foreach (var queue in _queues)
        {
            await queue.StopClaimingAsync().ConfigureAwait(false);
        }

        await _dueTimes.ConfigureAwait(false);

        var workers = Task.WhenAll(_queues.Select(q => q.WorkersDone));
        try
        {
            var left = deadline - runner.TimeProvider.GetUtcNow();
            await workers.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, runner.TimeProvider, cancellationToken).ConfigureAwait(false);
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
            _reportsWritten = _completions.DrainAsync();
            await _reportsWritten.ConfigureAwait(false);
        }

        await _stopLoops.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_heartbeats, _maintenance).ConfigureAwait(false);
        Log.RunnerStopped(runner.Logger, runner.Node.Id);
        SetState(TaskRunnerState.Stopped);
    }

    /// <summary>Stops the runner if the host did not (<see cref="DisposeAsync"/>), then frees its resources.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A runner disposed while running (a host disposed without <c>StopAsync</c>) stops first, with no grace:
    /// claiming ends, running jobs are cancelled at once and handed back, and every loop ends before the services it uses
    /// (the store) are disposed after it. A handler ignoring its token is waited for up to the shutdown timeout.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_state is TaskRunnerState.Running or TaskRunnerState.Starting)
        {
            Log.DisposedRunning(runner.Logger, runner.Node.Id);
            using var patience = new CancellationTokenSource(runner.Options.ShutdownTimeout, runner.TimeProvider);
            await StopAsync(TimeSpan.Zero, patience.Token).ConfigureAwait(false);
        }

        _stopClaiming.Dispose();
        _stopLoops.Dispose();
        foreach (var queue in _queues)
        {
            // A slot whose handler ignored cancellation still uses its context when the handler returns: leave it be.
            if (queue.WorkersDone.IsCompleted)
            {
                queue.Dispose();
            }
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
                ShouldHandle = args =>
                {
                    // Every outcome of a guarded call passes here, so the monitor's last error follows exactly the calls
                    // the breaker counts: set by a failure, cleared by the next success. A call refused by the open
                    // circuit never runs and never gets here, so the real error stays visible while the circuit is open.
                    var error = args.Outcome.Exception;
                    if (error is OperationCanceledException)
                    {
                        return new ValueTask<bool>(false);
                    }

                    _lastStoreError = error;
                    return new ValueTask<bool>(error is not null);
                },
                OnOpened = args =>
                {
                    Log.CircuitOpened(runner.Logger, args.BreakDuration, args.Outcome.Exception);
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
        var leases = new List<JobLease>();
        var holders = new Dictionary<JobId, WorkerContext>();
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                // Off the timer's thread: store calls must not run inside the clock's timer callback.
                await Task.Yield();
                leases.Clear();
                holders.Clear();
                foreach (var worker in _queues.SelectMany(q => q.Workers))
                {
                    if (worker.Current is { } job)
                    {
                        leases.Add(new JobLease(job.Id, job.LeaseToken));
                        holders[job.Id] = worker;
                    }
                }

                if (leases.Count == 0)
                {
                    continue;
                }

                try
                {
                    var now = runner.TimeProvider.GetUtcNow();
                    var result = await runner.Store.HeartbeatAsync(new HeartbeatRequest { Leases = leases, LeaseExpiresAt = now + runner.Options.LeaseDuration, Now = now }, stop).ConfigureAwait(false);
                    foreach (var id in result.Lost)
                    {
                        holders[id].TryCancel(id, CancelReason.LeaseLost);
                    }

                    foreach (var id in result.CancellationRequested)
                    {
                        holders[id].TryCancel(id, CancelReason.CancellationRequested);
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
            var result = await _pipeline.ExecuteAsync(
                static (state, ct) => state.Store.RecoverExpiredLeasesAsync(state.Now, RecoveryBatch, ct),
                (runner.Store, Now: runner.TimeProvider.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
            StaleLeasesRecovered = result.Requeued + result.DeadLettered;
            if (result.Requeued + result.DeadLettered > 0)
            {
                Log.LeasesRecovered(runner.Logger, result.Requeued, result.DeadLettered);
                runner.Diagnostics.LeasesRecovered.Add(result.Requeued, new KeyValuePair<string, object?>("outcome", "requeued"));
                runner.Diagnostics.LeasesRecovered.Add(result.DeadLettered, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
                runner.Signals.WakeAll();
            }
        }
        catch (BrokenCircuitException)
        {
            Log.MaintenanceSkipped(runner.Logger, "stale lease recovery");
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
                var counts = await _pipeline.ExecuteAsync(
                    static (state, ct) => state.Store.CountAsync(state.Name, ct), (runner.Store, queue.Name), cancellationToken).ConfigureAwait(false);
                queue.LastQueueDepth = counts.Pending;
            }
            catch (BrokenCircuitException)
            {
                Log.MaintenanceSkipped(runner.Logger, "queue depth count");
                return;
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
                var purged = await _pipeline.ExecuteAsync(
                    static (args, ct) => args.Store.PurgeAsync(args.Request, ct),
                    (runner.Store, Request: new PurgeRequest { State = state, FinishedBefore = now - keep }),
                    cancellationToken).ConfigureAwait(false);
                if (purged > 0)
                {
                    Log.Purged(runner.Logger, purged, state);
                }
            }
            catch (BrokenCircuitException)
            {
                Log.MaintenanceSkipped(runner.Logger, "retention purge");
                return;
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
