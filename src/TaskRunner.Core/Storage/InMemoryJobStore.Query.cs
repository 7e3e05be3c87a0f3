namespace TaskRunner.Storage;

/// <summary>Listing and counting with <see cref="JobQuery"/> filters. The store keeps no index for them: a query scans every
/// job under the lock (a snapshot for the process's own inspection, not a hot path), so it costs O(n) in jobs held.</summary>
internal sealed partial class InMemoryJobStore
{
    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        var after = query.AfterId?.Value ?? long.MinValue;
        lock (_gate)
        {
            // OrderBy + Take is a partial sort: only the page's ids are ordered.
            IReadOnlyList<JobRecord> list = _jobs.Values
                .Where(e => e.Id > after && Matches(e, query))
                .OrderBy(e => e.Id)
                .Take(query.Limit)
                .Select(e => e.ToRecord())
                .ToList();
            return new(list);
        }
    }

    public ValueTask<JobCounts> CountMatchingAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        var counts = new long[(int)JobState.Cancelled + 1];
        lock (_gate)
        {
            foreach (var entry in _jobs.Values)
            {
                if (Matches(entry, query))
                {
                    counts[(int)entry.State]++;
                }
            }
        }

        return new(JobCounts.FromCountsByState(counts));
    }

    private static bool Matches(InMemoryJob e, JobQuery q) =>
        (q.State is not { } state || e.State == state)
        && (q.Queue is not { } queue || string.Equals(e.Queue, queue, StringComparison.Ordinal))
        && (q.JobName is not { } name || string.Equals(e.Name, name, StringComparison.Ordinal))
        && (q.BatchId is not { } batch || e.BatchId == batch)
        && (q.Tag is not { } tag || e.Tags.Contains(tag, StringComparer.Ordinal))
        && (!q.HasTimeRange || MatchesTimes(e, q));

    private static bool MatchesTimes(InMemoryJob e, JobQuery q) =>
        (q.CreatedFrom is not { } createdFrom || e.CreatedAt >= createdFrom)
        && (q.CreatedBefore is not { } createdBefore || e.CreatedAt < createdBefore)
        && (q.FinishedFrom is not { } finishedFrom || e.FinishedAt >= finishedFrom)
        && (q.FinishedBefore is not { } finishedBefore || e.FinishedAt < finishedBefore);
}
