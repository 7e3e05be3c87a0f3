using System.Collections.Concurrent;

namespace TaskRunner.AspNetCore;

/// <summary>Counts finished jobs per time bucket for <c>GET {prefix}/throughput</c>, with one count query per bucket
/// (<see cref="IJobClient.CountAsync"/> over <see cref="JobQuery.FinishedFrom"/>/<see cref="JobQuery.FinishedBefore"/>).
/// A bucket that closed more than <see cref="Grace"/> ago is counted once and cached, so a dashboard refreshing every
/// few seconds costs one or two queries: a job's finish time is stamped before its row is written, and the grace covers
/// that gap. Cached counts are history: a later purge or requeue does not lower them.</summary>
internal sealed class ThroughputCounter
{
    public const int DefaultMinutes = 60;

    public const int MaxMinutes = 1440;

    /// <summary>At most this many buckets are returned: the bucket width grows with the window.</summary>
    public const int MaxBuckets = 60;

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private static readonly int[] Widths = [60, 120, 300, 600, 900, 1800, 3600];

    private readonly ConcurrentDictionary<(long Start, int Width), ApiThroughputBucket> _closed = new();

    public int CachedBuckets => _closed.Count;

    /// <summary>The bucket width for a window: the smallest that gives at most <see cref="MaxBuckets"/> buckets.</summary>
    public static int WidthFor(int minutes) => Widths.First(w => (minutes * 60 + w - 1) / w <= MaxBuckets);

    public async Task<ApiThroughput> CountAsync(IJobClient client, int minutes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var width = WidthFor(minutes);
        var count = (minutes * 60 + width - 1) / width;
        var openStart = now.ToUnixTimeSeconds() / width * width;
        var buckets = new List<ApiThroughputBucket>(count);
        for (var i = count - 1; i >= 0; i--)
        {
            var start = openStart - ((long)i * width);
            var from = DateTimeOffset.FromUnixTimeSeconds(start);
            var to = from.AddSeconds(width);
            if (_closed.TryGetValue((start, width), out var cached))
            {
                buckets.Add(cached);
                continue;
            }

            var counts = await client.CountAsync(new JobQuery { FinishedFrom = from, FinishedBefore = to }, cancellationToken).ConfigureAwait(false);
            var bucket = new ApiThroughputBucket(from, counts.Succeeded, counts.DeadLettered);
            if (to + Grace <= now)
            {
                _closed[(start, width)] = bucket;
            }

            buckets.Add(bucket);
        }

        Evict(now);
        return new ApiThroughput(width, buckets);
    }

    /// <summary>Forgets buckets older than the longest window, so the cache stays bounded.</summary>
    private void Evict(DateTimeOffset now)
    {
        var oldest = now.ToUnixTimeSeconds() - ((MaxMinutes * 60L) + Widths[^1]);
        foreach (var key in _closed.Keys)
        {
            if (key.Start < oldest)
            {
                _closed.TryRemove(key, out _);
            }
        }
    }
}
