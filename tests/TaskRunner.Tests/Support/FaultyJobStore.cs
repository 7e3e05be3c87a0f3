using System.Collections.Concurrent;

namespace TaskRunner.Tests.Support;

/// <summary>Fault injection around a real store: fails claims or heartbeats on demand, counts calls, and records
/// rejected completions. It simulates a sick database or a partitioned worker; the store behind it is real.</summary>
internal sealed class FaultyJobStore(IJobStore inner) : IJobStore
{
    private readonly CallCounter _claimCalls = new();
    private readonly CallCounter _recoveries = new();
    private readonly CallCounter _completeCalls = new();
    private readonly CallCounter _heartbeats = new();
    private int _versionCalls;

    public volatile bool FailClaims;

    public volatile bool FailHeartbeats;

    /// <summary>Fails the change-version read, the only store call an idle poll makes on a store that has one.</summary>
    public volatile bool FailChangeChecks;

    /// <summary>Fails the maintenance loop's calls: stale-lease recovery, counts and purge.</summary>
    public volatile bool FailMaintenance;

    /// <summary>When set, each claim call waits for it before going on (to observe the half-open state).</summary>
    public volatile Gate? HoldClaims;

    /// <summary>When set, each completion call (a batch of reports) waits for it before it reaches the store.</summary>
    public volatile Gate? HoldCompletions;

    public int ClaimCalls => _claimCalls.Count;

    /// <summary>Completes once at least <paramref name="count"/> completion calls have been made (held or not).</summary>
    public Task WaitForCompleteCalls(int count) => _completeCalls.WaitFor(count);

    /// <summary>Completes once at least <paramref name="count"/> heartbeat calls have returned.</summary>
    public Task WaitForHeartbeats(int count) => _heartbeats.WaitFor(count);

    /// <summary>Recovery sweeps (<see cref="RecoverExpiredLeasesAsync"/> calls) that have returned.</summary>
    public int Recoveries => _recoveries.Count;

    public int ChangeVersionCalls => Volatile.Read(ref _versionCalls);

    /// <summary>When set, the clock each poll (claim or change check) is stamped with, to explain a count.</summary>
    public TimeProvider? Clock { get; set; }

    public ConcurrentQueue<(DateTimeOffset At, string Call)> Polls { get; } = new();

    public ConcurrentQueue<JobId> Rejected { get; } = new();

    public Gate RejectedSignal { get; } = new();

    public JobStoreCapabilities Capabilities => inner.Capabilities | ExtraCapabilities;

    /// <summary>Capabilities declared beyond the inner store's, to drive the engine's handling of them.</summary>
    public JobStoreCapabilities ExtraCapabilities { get; set; }

    /// <summary>When set, runs at the start of each claim call (to record its request or move a fake clock).</summary>
    public Action<ClaimRequest>? BeforeClaim { get; set; }

    /// <summary>Completes once at least <paramref name="count"/> claim calls have been made.</summary>
    public Task WaitForClaimCalls(int count) => _claimCalls.WaitFor(count);

    /// <summary>Completes once at least <paramref name="count"/> recovery sweeps have returned (their effect is in the store).</summary>
    public Task WaitForRecoveries(int count) => _recoveries.WaitFor(count);

    public async ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        if (Clock is { } clock)
        {
            Polls.Enqueue((clock.GetUtcNow(), "claim"));
        }

        BeforeClaim?.Invoke(request);
        _claimCalls.Increment();
        if (HoldClaims is { } hold)
        {
            await hold.Task.ConfigureAwait(false);
        }

        if (FailClaims)
        {
            throw new JobStoreException("database is locked (injected)", null, isTransient: true);
        }

        return await inner.ClaimAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return FailHeartbeats
                ? throw new JobStoreException("network partition (injected)")
                : await inner.HeartbeatAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _heartbeats.Increment();
        }
    }

    public async ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default)
    {
        _completeCalls.Increment();
        if (HoldCompletions is { } hold)
        {
            await hold.Task.ConfigureAwait(false);
        }

        var rejected = await inner.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        foreach (var id in rejected)
        {
            Rejected.Enqueue(id);
            RejectedSignal.Open();
        }

        return rejected;
    }

    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueAsync(IReadOnlyList<NewJob> jobs, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.EnqueueAsync(jobs, now, cancellationToken);

    public ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.CreateBatchAsync(batch, now, cancellationToken);

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default) => inner.ReportProgressAsync(request, cancellationToken);

    public async ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        try
        {
            if (FailMaintenance)
            {
                throw new JobStoreException("disk I/O error (injected)");
            }

            return await inner.RecoverExpiredLeasesAsync(now, maxCount, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _recoveries.Increment();
        }
    }

    public ValueTask<CancelResult> CancelAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.CancelAsync(id, now, cancellationToken);

    public ValueTask<bool> RequeueAsync(JobId id, DateTimeOffset now, CancellationToken cancellationToken = default) => inner.RequeueAsync(id, now, cancellationToken);

    public ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default) => inner.DeleteAsync(id, cancellationToken);

    public ValueTask<int> PurgeAsync(PurgeRequest request, CancellationToken cancellationToken = default) =>
        FailMaintenance
            ? ValueTask.FromException<int>(new JobStoreException("disk I/O error (injected)"))
            : inner.PurgeAsync(request, cancellationToken);

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);

    public ValueTask<JobCounts> CountMatchingAsync(JobQuery query, CancellationToken cancellationToken = default) => inner.CountMatchingAsync(query, cancellationToken);

    public ValueTask<JobCounts> CountAsync(string? queue, CancellationToken cancellationToken = default) =>
        FailMaintenance
            ? ValueTask.FromException<JobCounts>(new JobStoreException("disk I/O error (injected)"))
            : inner.CountAsync(queue, cancellationToken);

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) => inner.GetBatchAsync(id, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextRunAtAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => inner.GetNextRunAtAsync(now, cancellationToken);

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _versionCalls);
        if (Clock is { } clock)
        {
            Polls.Enqueue((clock.GetUtcNow(), "check"));
        }

        return FailChangeChecks
            ? ValueTask.FromException<long>(new JobStoreException("unable to open database file (injected)"))
            : inner.GetChangeVersionAsync(cancellationToken);
    }
}
