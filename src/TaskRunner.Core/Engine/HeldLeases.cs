using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TaskRunner;

/// <summary>
/// The leases this process holds. A job is held from its claim until its outcome is stored or rejected (or its lease is
/// reported lost), wherever it is meanwhile: waiting in a queue's prefetch channel, running in a worker slot, or its
/// report waiting in the <see cref="CompletionWriter"/>. The heartbeat renews every held lease, so a lease never lapses
/// on a live worker, and no other process can recover and re-run a job whose handler already ran here.
/// </summary>
internal sealed class HeldLeases(RunnerServices runner)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<JobId, Held> _held = [];

    // Reused by the heartbeat loop, the only caller of RenewAllAsync.
    private readonly List<JobLease> _renewing = [];
    private Task<HeartbeatResult>? _renewal;

    /// <summary>How many leases are held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Starts holding the leases of freshly claimed jobs.</summary>
    public void Claimed(IReadOnlyList<ClaimedJob> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        var at = runner.TimeProvider.GetTimestamp();
        lock (_gate)
        {
            for (var i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];

                // A job reclaimed by this process after it lost the lease replaces the old claim: its token is greater.
                _held[job.Id] = new Held(job.LeaseToken, job.LeaseExpiresAt, at);
            }
        }
    }

    /// <summary>Stops holding a lease: its outcome was stored or rejected, or the job will not report.</summary>
    /// <returns>The claim's timestamp (of the injected clock), or <see langword="null"/> when that lease was not held.</returns>
    public long? Dropped(JobId id, long leaseToken)
    {
        lock (_gate)
        {
            if (_held.TryGetValue(id, out var held) && held.Token == leaseToken)
            {
                _held.Remove(id);
                return held.ClaimedAt;
            }

            return null;
        }
    }

    /// <summary>When the lease of a held job expires unless renewed; <see langword="null"/> when it is not held (lost).</summary>
    public DateTimeOffset? ExpiresAt(JobId id, long leaseToken)
    {
        lock (_gate)
        {
            return _held.TryGetValue(id, out var held) && held.Token == leaseToken ? held.ExpiresAt : null;
        }
    }

    /// <summary>Renews every held lease in one store call. Leases the store reports lost are no longer held.</summary>
    public async ValueTask<HeartbeatResult> RenewAllAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _renewing.Clear();
            foreach (var (id, held) in _held)
            {
                _renewing.Add(new JobLease(id, held.Token));
            }
        }

        return _renewing.Count == 0 ? HeartbeatResult.AllHeld : await RenewAsync(_renewing, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Renews every held lease now, sharing one store call among the workers that ask at the same time (after a slow
    /// claim a whole batch of prefetched jobs may need it at once: one write, not one per job).
    /// </summary>
    public Task<HeartbeatResult> RenewNowAsync()
    {
        lock (_gate)
        {
            if (_renewal is { IsCompleted: false } pending)
            {
                return pending;
            }

            List<JobLease> leases = new(_held.Count);
            foreach (var (id, held) in _held)
            {
                leases.Add(new JobLease(id, held.Token));
            }

            return _renewal = RenewAsync(leases, CancellationToken.None).AsTask();
        }
    }

    /// <summary>Renews the given held leases now.</summary>
    public async ValueTask<HeartbeatResult> RenewAsync(IReadOnlyList<JobLease> leases, CancellationToken cancellationToken)
    {
        var now = runner.TimeProvider.GetUtcNow();
        var expiresAt = now + runner.Options.LeaseDuration;
        var result = await runner.Store.HeartbeatAsync(new HeartbeatRequest { Leases = leases, LeaseExpiresAt = expiresAt, Now = now }, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            var lost = result.Lost.Count == 0 ? null : result.Lost.ToHashSet();
            foreach (var lease in leases)
            {
                ref var held = ref CollectionsMarshal.GetValueRefOrNullRef(_held, lease.Id);
                if (Unsafe.IsNullRef(ref held) || held.Token != lease.LeaseToken)
                {
                    continue; // reported meanwhile, or reclaimed under a new token: not this renewal's business
                }

                if (lost is not null && lost.Contains(lease.Id))
                {
                    _held.Remove(lease.Id);
                }
                else if (expiresAt > held.ExpiresAt)
                {
                    held.ExpiresAt = expiresAt;
                }
            }
        }

        return result;
    }

    private record struct Held(long Token, DateTimeOffset ExpiresAt, long ClaimedAt);
}
