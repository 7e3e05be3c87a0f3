using System.Threading.Channels;
using Polly;
using Polly.CircuitBreaker;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// Serves one queue: a poll loop claims up to the free worker slots (as the polling strategy decides) through the
/// circuit breaker, and worker loops run the claimed jobs and hand their reports to the <see cref="CompletionWriter"/>.
/// Slightly over 400 lines: both loops share the slot accounting (in flight, capacity, wake-ups), kept in one file.
/// </summary>
internal sealed class QueueProcessor : IDisposable
{
    private readonly RunnerServices _runner;
    private readonly QueueOptions _queue;
    private volatile IPollingStrategy _strategy;
    private readonly ResiliencePipeline _pipeline;
    private readonly CompletionWriter _completions;
    private readonly GlobalLimiter? _global;
    private readonly HeldLeases _leases;
    private readonly WakeSignal _wake;
    private readonly JobExecutor _executor;
    private readonly Channel<ClaimedJob> _ready = Channel.CreateUnbounded<ClaimedJob>();
    private readonly WorkerContext[] _workers;
    private readonly bool _canSkipIdlePolls;
    private readonly AutoPrefetch? _claimAhead;
    private Task _pollLoop = Task.CompletedTask;
    private Task[] _workerLoops = [];
    private int _inFlight;
    private int _waitingForSlots;
    private volatile bool _stopping;
    private volatile bool _paused;
    private volatile bool _strategyReplaced;

    public QueueProcessor(RunnerServices runner, QueueOptions queue, IPollingStrategy strategy, ResiliencePipeline pipeline, CompletionWriter completions, GlobalLimiter? global, HeldLeases leases)
    {
        _runner = runner;
        _queue = queue;
        _strategy = strategy;
        _pipeline = pipeline;
        _completions = completions;
        _global = global;
        _leases = leases;
        _wake = runner.Signals.For(queue.Name);
        _global?.Register(queue.Name, queue.Weight, _wake);
        _executor = new JobExecutor(runner);
        _workers = new WorkerContext[queue.Concurrency];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new WorkerContext(runner);
        }

        _canSkipIdlePolls = runner.Store.Capabilities.HasFlag(JobStoreCapabilities.ChangeVersion);
        // Not under a cluster-wide cap: prefetched jobs count as running there, so they would hold slots other processes could run.
        _claimAhead = queue is { Prefetch: null, ClusterConcurrency: null } && runner.Store.Capabilities.HasFlag(JobStoreCapabilities.ClaimAhead) ? new AutoPrefetch(queue.Concurrency, queue.BatchSize) : null;
    }

    public string Name => _queue.Name;

    /// <summary>Whether the queue claims nothing (paused at run time or by configuration). Running and prefetched jobs
    /// still finish; leases are still renewed.</summary>
    public bool Paused
    {
        get => _paused;
        set
        {
            // Only a change wakes the poll loop: a needless wake-up would cost a claim on an idle queue.
            if (_paused != value)
            {
                _paused = value;
                _wake.Set();
            }
        }
    }

    /// <summary>Takes a new polling strategy (a configuration reload); the poll loop starts from its initial decision.</summary>
    public void ReplaceStrategy(IPollingStrategy strategy)
    {
        _strategy = strategy;
        _strategyReplaced = true;
        _wake.Set();
    }

    /// <summary>Jobs claimed by this process and not yet reported.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Jobs pending in the queue as of the last maintenance count, or -1 before the first. Fed to the polling
    /// strategy (the adaptive one follows it) and to the queue-depth gauge.</summary>
    public long LastQueueDepth { get; set; } = -1;

    public IReadOnlyList<WorkerContext> Workers => _workers;

    public void Start(CancellationToken stopClaiming)
    {
        _workerLoops = new Task[_workers.Length];
        for (var i = 0; i < _workers.Length; i++)
        {
            var worker = _workers[i];
            _workerLoops[i] = Task.Run(() => WorkLoopAsync(worker), CancellationToken.None);
        }

        _pollLoop = Task.Run(() => PollLoopAsync(stopClaiming), CancellationToken.None);
    }

    /// <summary>Stops claiming; jobs claimed but not started are handed back.</summary>
    public async Task StopClaimingAsync()
    {
        _stopping = true;
        await _pollLoop.ConfigureAwait(false);
        _ready.Writer.TryComplete();
    }

    /// <summary>The most jobs this process holds claimed for the queue: its worker slots plus the prefetch (the queue's,
    /// else the automatic one on a store that claims ahead, else none).</summary>
    private int Capacity => _queue.Concurrency + (_queue.Prefetch ?? _claimAhead?.Prefetch ?? 0);

    /// <summary>Completes when every worker loop has ended.</summary>
    public Task WorkersDone => Task.WhenAll(_workerLoops);

    private async Task PollLoopAsync(CancellationToken stop)
    {
        var decision = _strategy.Initial;
        var lastVersion = long.MinValue;
        var woken = true;
        while (!stop.IsCancellationRequested)
        {
            if (_strategyReplaced)
            {
                _strategyReplaced = false;
                decision = _strategy.Initial;
            }

            if (_paused)
            {
                // Paused: sleep until resumed (or a new strategy); a wake-up that came meanwhile is kept for the next claim.
                try
                {
                    woken |= await _wake.WaitAsync(Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // Every wake-up ends up here, so a strategy's "not now" holds whatever woke the loop; one that came meanwhile
            // is kept, so the claim that follows does not skip as "nothing changed".
            var notYet = _strategy.GetClaimDelay(_runner.TimeProvider.GetUtcNow());
            if (notYet > TimeSpan.Zero)
            {
                try
                {
                    woken |= await _wake.WaitAsync(notYet, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // Claiming ahead, claim only while the outcomes are written as fast as jobs are claimed (a batch at most behind).
            if (_claimAhead is not null && !await _completions.WaitForBacklogBelowAsync(_runner.Options.CompletionBatchSize, stop).ConfigureAwait(false))
            {
                return;
            }

            var want = Math.Min(Math.Min(decision.BatchSize, _queue.BatchSize), Capacity - InFlight);
            var granted = want <= 0 ? 0 : _global?.TryTake(_queue.Name, want) ?? want;
            if (granted <= 0)
            {
                if (!await WaitForSlotAsync(stop).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            var (outcome, retryAfter) = await PollAsync(granted, woken, lastVersion, stop).ConfigureAwait(false);
            lastVersion = outcome.Version;
            if (stop.IsCancellationRequested)
            {
                return;
            }

            decision = _strategy.Decide(outcome.Outcome);
            var delay = retryAfter is { } open && open > decision.Delay ? open : decision.Delay;
            if (outcome.Outcome.JobsFound == granted && outcome.Outcome.Error is null)
            {
                delay = TimeSpan.Zero; // a full batch: there is likely more
            }

            try
            {
                woken = await _wake.WaitAsync(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async ValueTask<((PollOutcome Outcome, long Version), TimeSpan? RetryAfter)> PollAsync(int granted, bool woken, long lastVersion, CancellationToken stop)
    {
        var started = _runner.TimeProvider.GetTimestamp();
        var found = 0;
        var version = lastVersion;
        Exception? error = null;
        TimeSpan? retryAfter = null;
        var skipped = false;
        try
        {
            if (_canSkipIdlePolls && !woken)
            {
                // Nothing was enqueued here since the last poll: if no process wrote either, the claim would find nothing.
                // Through the breaker like the claim: on an idle queue this is the only store call, so a dead store shows here.
                version = await _pipeline.ExecuteAsync(
                    static (store, ct) => store.GetChangeVersionAsync(ct), _runner.Store, stop).ConfigureAwait(false);
                skipped = version == lastVersion;
            }

            if (!skipped)
            {
                var request = new ClaimRequest
                {
                    Queue = _queue.Name,
                    MaxCount = granted,
                    Owner = _runner.Node.Id,
                    Now = _runner.TimeProvider.GetUtcNow(),
                    LeaseDuration = _runner.Options.LeaseDuration,
                    JobNames = _runner.Options.ClaimAnyJobName ? null : _runner.Registry.Names,
                    QueueLimit = _queue.ClusterConcurrency,
                };
                var claimStarted = _runner.TimeProvider.GetTimestamp();
                var jobs = await _pipeline.ExecuteAsync(
                    static (state, ct) => state.Store.ClaimAsync(state.Request, ct), (_runner.Store, Request: request), stop).ConfigureAwait(false);
                var claimTime = _runner.TimeProvider.GetElapsedTime(claimStarted);
                _runner.Diagnostics.ClaimDuration.Record(claimTime.TotalSeconds);
                _claimAhead?.Claimed(claimTime);
                found = jobs.Count;
                _leases.Claimed(jobs);
                Interlocked.Add(ref _inFlight, found);
                for (var i = 0; i < found; i++)
                {
                    _ready.Writer.TryWrite(jobs[i]);
                }
            }
        }
        catch (BrokenCircuitException ex)
        {
            error = ex;
            retryAfter = ex.RetryAfter ?? _runner.Options.CircuitBreaker.BreakDuration;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed poll is an outcome for the strategy and the circuit breaker, not a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
            Log.PollFailed(_runner.Logger, _queue.Name, ex);
        }

        if (error is not null)
        {
            // A poll that failed proves nothing: a version read before a failed claim must not let the next poll skip it.
            version = long.MinValue;
            _runner.Diagnostics.PollsFailed.Add(1, new KeyValuePair<string, object?>("queue", _queue.Name));
        }

        _global?.Return(_queue.Name, granted - found);
        _runner.Diagnostics.PollDuration.Record(_runner.TimeProvider.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("queue", _queue.Name));
        var outcome = new PollOutcome
        {
            Now = _runner.TimeProvider.GetUtcNow(),
            JobsFound = found,
            BatchSize = granted,
            QueueDepth = LastQueueDepth,
            Error = error,
            Skipped = skipped,
        };
        return ((outcome, version), retryAfter);
    }

    private async Task<bool> WaitForSlotAsync(CancellationToken stop)
    {
        Interlocked.Exchange(ref _waitingForSlots, 1);
        try
        {
            // Re-check after raising the flag: a worker that finished in between saw the flag or freed a slot we now see.
            if (Capacity - InFlight <= 0 || _global is not null)
            {
                await _wake.WaitAsync(Timeout.InfiniteTimeSpan, stop).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Interlocked.Exchange(ref _waitingForSlots, 0);
        }
    }

    private async Task WorkLoopAsync(WorkerContext worker)
    {
        var reader = _ready.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var job))
            {
                var taken = _claimAhead is null ? 0 : _runner.TimeProvider.GetTimestamp();
                if (_stopping)
                {
                    // Not started: hand it back without counting the attempt.
                    _completions.Write(job, JobCompletion.Released(job.Id, job.LeaseToken), TimeSpan.Zero);
                }
                else if (await LeaseLeftToStartAsync(job).ConfigureAwait(false))
                {
                    var started = _runner.TimeProvider.GetTimestamp();
                    var completion = await _executor.RunAsync(job, worker).ConfigureAwait(false);
                    if (completion is { } report)
                    {
                        _completions.Write(job, report, _runner.TimeProvider.GetElapsedTime(started));
                    }
                    else
                    {
                        _leases.Dropped(job.Id, job.LeaseToken); // lost: the new owner reports
                    }
                }

                _claimAhead?.JobDone(_runner.TimeProvider.GetElapsedTime(taken));
                SlotFreed();
            }
        }
    }

    /// <summary>
    /// Whether the job may start: it never starts with a heartbeat interval of lease or less left (a prefetched job may
    /// have waited, and a heartbeat that is late under load would then let the lease lapse mid-run), so such a lease is
    /// renewed first. A job whose lease was lost is dropped (the new owner runs it); one whose renewal failed is handed
    /// back, its attempt not counted.
    /// </summary>
    private async ValueTask<bool> LeaseLeftToStartAsync(ClaimedJob job)
    {
        // Twice at most: a renewal already in flight may have been sent before this job was claimed.
        for (var round = 0; ; round++)
        {
            if (_leases.ExpiresAt(job.Id, job.LeaseToken) is not { } expiresAt)
            {
                Log.LeaseLost(_runner.Logger, job.Id, job.Name);
                return false;
            }

            if (expiresAt - _runner.TimeProvider.GetUtcNow() > _runner.Options.HeartbeatInterval)
            {
                return true;
            }

            if (round == 2)
            {
                break;
            }

            try
            {
                await _leases.RenewNowAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed renewal is not the job's failure: hand it back unrun, the attempt not counted.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.HeartbeatFailed(_runner.Logger, ex);
                break;
            }
        }

        _completions.Write(job, JobCompletion.Released(job.Id, job.LeaseToken), TimeSpan.Zero);
        return false;
    }

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
    }

    private void SlotFreed()
    {
        Interlocked.Decrement(ref _inFlight);
        _global?.Return(_queue.Name, 1);
        if (Volatile.Read(ref _waitingForSlots) == 1)
        {
            _wake.Set();
        }
    }
}
