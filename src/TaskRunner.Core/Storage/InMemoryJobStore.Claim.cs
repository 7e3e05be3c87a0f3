namespace TaskRunner.Storage;

/// <summary>Claim: promote what fell due, then take due jobs of the queue in claim order.</summary>
internal sealed partial class InMemoryJobStore
{
    // Reused under the lock: a claim allocates only its result.
    private readonly List<InMemoryJob> _taken = [];

    public ValueTask<IReadOnlyList<ClaimedJob>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.MaxCount <= 0)
        {
            return new([]);
        }

        ClaimedJob[] claimed;
        var expires = request.Now + request.LeaseDuration;
        lock (_gate)
        {
            PromoteDue(request.Now);
            var maxCount = request.MaxCount;
            if (request.QueueLimit is { } queueLimit)
            {
                maxCount = Math.Min(maxCount, queueLimit - _runningByQueue.GetValueOrDefault(request.Queue));
            }

            _queue.TakeDue(request.Queue, maxCount, NameSet(request.JobNames), _taken);
            claimed = _taken.Count == 0 ? [] : new ClaimedJob[_taken.Count];
            for (var i = 0; i < claimed.Length; i++)
            {
                var entry = _taken[i];
                SetState(entry, JobState.Running);
                entry.Attempts++;
                entry.LeaseToken++;
                entry.Owner = request.Owner;
                entry.LeaseExpiresAt = expires;
                entry.MarkStarted(request.Now);
                entry.CancellationRequested = false;
                _running.Add(entry);
                _runningByQueue[entry.Queue] = _runningByQueue.GetValueOrDefault(entry.Queue) + 1;
                claimed[i] = entry.ToClaimed();
            }

            _taken.Clear();
        }

        return new(claimed);
    }

    private static IReadOnlySet<string>? NameSet(IReadOnlyCollection<string>? names) => names switch
    {
        null => null,
        IReadOnlySet<string> set => set,
        _ => new HashSet<string>(names, StringComparer.Ordinal),
    };

    /// <summary>Scheduled jobs and retries whose run-at has come become pending (or wait for their key's slot).</summary>
    private void PromoteDue(DateTimeOffset now)
    {
        while (_queue.TryTakeDelayed(now, out var entry))
        {
            MakeDue(entry);
        }
    }
}
