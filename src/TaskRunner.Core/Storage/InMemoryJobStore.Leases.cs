namespace TaskRunner.Storage;

/// <summary>Leases: heartbeat, completion, progress and recovery, each checked against the lease token and expiry.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<HeartbeatResult> HeartbeatAsync(HeartbeatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (leases, leaseExpiresAt, now) = (request.Leases, request.LeaseExpiresAt, request.Now);
        List<JobId>? lost = null;
        List<JobId>? cancel = null;
        lock (_gate)
        {
            foreach (var lease in leases)
            {
                if (TryGetHeld(lease, now, out var entry))
                {
                    entry.LeaseExpiresAt = leaseExpiresAt;
                    if (entry.CancellationRequested)
                    {
                        (cancel ??= []).Add(lease.Id);
                    }
                }
                else
                {
                    (lost ??= []).Add(lease.Id);
                }
            }
        }

        return new(HeartbeatResult.Of(lost, cancel));
    }

    public ValueTask<IReadOnlyList<JobId>> CompleteAsync(CompleteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (completions, now) = (request.Completions, request.Now);
        List<JobId>? rejected = null;
        lock (_gate)
        {
            // An index loop: foreach over the interface would box the list's enumerator on every call.
            for (var i = 0; i < completions.Count; i++)
            {
                var completion = completions[i];
                if (!TryGetHeld(new JobLease(completion.Id, completion.LeaseToken), now, out var entry))
                {
                    (rejected ??= []).Add(completion.Id);
                    continue;
                }

                Apply(entry, completion, now);
            }
        }

        return new(rejected is null ? [] : rejected);
    }

    public ValueTask<bool> ReportProgressAsync(ProgressRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobProgress.ThrowIfOutOfRange(request.Percent);
        lock (_gate)
        {
            if (!TryGetHeld(request.Lease, request.Now, out var entry))
            {
                return new(false);
            }

            entry.ProgressPercent = request.Percent;
            entry.ProgressMessage = request.Message;
            return new(true);
        }
    }

    public ValueTask<RecoveryResult> RecoverExpiredLeasesAsync(DateTimeOffset now, int maxCount, CancellationToken cancellationToken = default)
    {
        int requeued = 0, deadLettered = 0;
        lock (_gate)
        {
            List<InMemoryJob>? expired = null;
            foreach (var entry in _running)
            {
                if (entry.LeaseExpiresAt < now)
                {
                    (expired ??= []).Add(entry);
                    if (expired.Count >= maxCount)
                    {
                        break;
                    }
                }
            }

            foreach (var entry in expired ?? [])
            {
                var error = new JobError("LeaseExpired", $"The lease of worker '{entry.Owner}' expired at {entry.LeaseExpiresAt:O} before the job finished; the worker is presumed dead.");
                LeaveRunning(entry);
                entry.LastError = error;
                if (entry.Attempts >= entry.MaxAttempts)
                {
                    Finish(entry, JobState.DeadLettered, now);
                    deadLettered++;
                }
                else
                {
                    MakeDue(entry);
                    requeued++;
                }
            }
        }

        return new(new RecoveryResult(requeued, deadLettered));
    }

    private void Apply(InMemoryJob entry, JobCompletion completion, DateTimeOffset now)
    {
        LeaveRunning(entry);
        switch (completion.Outcome)
        {
            case JobOutcome.Succeeded:
                entry.Result = completion.Result;
                Finish(entry, JobState.Succeeded, now);
                break;
            case JobOutcome.Failed:
                entry.LastError = completion.Error;
                entry.RunAt = completion.RetryAt ?? now;
                SetState(entry, JobState.Failed);
                _queue.AddDelayed(entry);
                break;
            case JobOutcome.DeadLettered:
                entry.LastError = completion.Error;
                Finish(entry, JobState.DeadLettered, now);
                break;
            case JobOutcome.Cancelled:
                entry.LastError = completion.Error;
                Finish(entry, JobState.Cancelled, now);
                break;
            case JobOutcome.Released:
                entry.Attempts = Math.Max(0, entry.Attempts - 1);
                MakeDue(entry);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(completion), completion.Outcome, "Unknown job outcome.");
        }
    }

    // The contract's one rule (IJobStore remarks): held until the expiry has passed, the instant recovery may take it.
    private bool TryGetHeld(JobLease lease, DateTimeOffset now, out InMemoryJob entry) =>
        _jobs.TryGetValue(lease.Id.Value, out entry!)
        && entry.State == JobState.Running
        && entry.LeaseToken == lease.LeaseToken
        && entry.LeaseExpiresAt >= now;
}
