using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// The hosted service and its lifecycle: prepares the store, then runs one <see cref="QueueProcessor"/> per queue, the
/// <see cref="LeaseHeartbeat"/> and the <see cref="JobMaintenance"/> loops, with store calls guarded by the
/// <see cref="StorePipeline"/>. Stopping stops claiming, lets running jobs finish
/// within the shutdown timeout, then cancels them and hands their leases back without counting the attempt.
/// </summary>
internal sealed partial class JobRunner(
    RunnerServices runner,
    IEnumerable<IStoreInitializer> initializers,
    IServiceProvider services) : IHostedService, ITaskRunnerMonitor, IDisposable, IAsyncDisposable
{
    private readonly StorePipeline _store = new(runner);
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopLoops = new();
    private readonly HeldLeases _leases = new(runner);
    private QueueProcessor[] _queues = [];
    private CompletionWriter? _completions;
    private Task _heartbeats = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private Task _reportsWritten = Task.CompletedTask;
    private Task _dueTimes = Task.CompletedTask;
    private JobMaintenance? _maintainer;
    private TaskRunnerState _state;
    private TimeSpan? _hostShutdownTimeout;
    private bool _disposed;

    public event EventHandler<TaskRunnerState>? StateChanged;

    public TaskRunnerState State => _state;

    public Exception? Failure { get; private set; }

    public CircuitBreakerState CircuitState => _store.CircuitState;

    public int BusyWorkers => _queues.Sum(q => q.InFlight);

    public int StaleLeasesRecovered => _maintainer?.StaleLeasesRecovered ?? 0;

    public Exception? LastStoreError => _store.LastStoreError;

    /// <summary>Every loop of the runner: the queues' workers, the heartbeat, the maintenance and the report writer. Complete
    /// once the runner has stopped, unless a handler that ignored its token still runs.</summary>
    internal Task Loops => Task.WhenAll(
        [.. _queues.Select(q => q.WorkersDone), _heartbeats, _maintenance, _reportsWritten, _dueTimes, _nodeBeats]);

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
            var pipeline = _store.Build();
            _completions = new CompletionWriter(runner, _leases);
            _queues = [.. queues.Select(q => new QueueProcessor(
                runner, q, PollingStrategies.Create(services, q), pipeline, _completions, global, _leases))];
            ApplyConfiguredPauses(options);
            var maintainer = _maintainer = new JobMaintenance(runner, pipeline, _queues);
            var heartbeat = new LeaseHeartbeat(runner, _leases, _queues);
            runner.Diagnostics.AddGauges(() => BusyWorkers, () => (int)CircuitState, QueueDepths);

            // Jobs left running by a process that died before this one started are due for recovery now.
            await maintainer.RecoverAsync(cancellationToken).ConfigureAwait(false);
            foreach (var queue in _queues)
            {
                queue.Start(_stopClaiming.Token);
            }

            // Due times of delayed jobs and retries wake the pollers whether or not the recurring scheduler runs here.
            _dueTimes = Task.Run(() => runner.DueTimes.RunAsync(_stopClaiming.Token), CancellationToken.None);

            // Timers are created here, not in the loops, so their first tick is measured from the start.
            var heartbeatTimer = new PeriodicTimer(runner.Options.HeartbeatInterval, runner.TimeProvider);
            var maintenanceTimer = new PeriodicTimer(runner.Options.StaleLeaseCheckInterval, runner.TimeProvider);
            _heartbeats = Task.Run(() => heartbeat.RunAsync(heartbeatTimer, _stopLoops.Token), CancellationToken.None);
            _maintenance = Task.Run(() => maintainer.RunAsync(maintenanceTimer, _stopLoops.Token), CancellationToken.None);
            await StartNodesAsync(runner, services, cancellationToken).ConfigureAwait(false);
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
        await StopNodesAsync().ConfigureAwait(false);
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

    private IEnumerable<Measurement<long>> QueueDepths() =>
        _queues.Select(q => new Measurement<long>(q.LastQueueDepth, new KeyValuePair<string, object?>("queue", q.Name)));

    private void SetState(TaskRunnerState state)
    {
        _state = state;
        StateChanged?.Invoke(this, state);
    }
}
