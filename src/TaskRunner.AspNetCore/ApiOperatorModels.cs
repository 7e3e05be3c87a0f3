namespace TaskRunner.AspNetCore;

// The JSON bodies of the operators' endpoints (ApiEndpoints.Operators.cs) and the dashboard's info read.

/// <summary><c>GET {prefix}/throughput</c>: finished jobs per bucket, oldest first; the last bucket is still open.</summary>
/// <param name="BucketSeconds">The width of every bucket.</param>
/// <param name="Buckets">The buckets, aligned to multiples of their width since the Unix epoch.</param>
internal sealed record ApiThroughput(int BucketSeconds, IReadOnlyList<ApiThroughputBucket> Buckets);

/// <summary>The jobs that finished in [<paramref name="Start"/>, start + width).</summary>
/// <param name="Start">The bucket's start.</param>
/// <param name="Succeeded">Jobs that succeeded.</param>
/// <param name="Failed">Jobs dead-lettered (their last attempt failed); retries waiting are not finished, so not counted.</param>
internal sealed record ApiThroughputBucket(DateTimeOffset Start, long Succeeded, long Failed);

/// <summary>The body of <c>POST {prefix}/deadletters/requeue</c>.</summary>
internal sealed class ApiJobIds
{
    /// <summary>The jobs to requeue.</summary>
    public IReadOnlyList<JobId>? Ids { get; init; }
}

/// <summary>The answer of a bulk requeue.</summary>
/// <param name="Requeued">The jobs now pending again.</param>
/// <param name="Skipped">The jobs that were not dead-lettered (or do not exist), left as they were.</param>
internal sealed record ApiBulkRequeue(IReadOnlyList<JobId> Requeued, IReadOnlyList<JobId> Skipped);

/// <summary>The answer of <c>POST {prefix}/deadletters/purge</c>.</summary>
/// <param name="Purged">How many dead-lettered jobs were deleted.</param>
internal sealed record ApiPurge(int Purged);

/// <summary><c>GET {prefix}/api/info</c> of the dashboard: what the page needs to know about the server.</summary>
/// <param name="ReadOnly">Whether actions are refused (the page hides them).</param>
/// <param name="PollIntervalMs">How often the page reads the API again while it is visible.</param>
internal sealed record ApiDashboardInfo(bool ReadOnly, int PollIntervalMs);
