using System.Text.Json;

namespace TaskRunner.AspNetCore;

// The JSON bodies of MapTaskRunnerApi that are not the core's own types. Jobs are the core's JobRecord as it serializes
// (one shape everywhere); locks are LockLease, nodes NodeRecord, counts JobCounts.

/// <summary><c>GET {prefix}/counts</c>: jobs by state, over all queues and per queue.</summary>
/// <param name="All">Every job.</param>
/// <param name="Queues">Per queue name: the queues this process knows (its options, live nodes, waiting work) and the one asked for.</param>
internal sealed record ApiCounts(JobCounts All, IReadOnlyDictionary<string, JobCounts> Queues);

/// <summary><c>GET {prefix}/jobs</c>: one page in id order.</summary>
/// <param name="Jobs">The jobs of this page.</param>
/// <param name="NextAfterId">The <c>afterId</c> of the next page; <see langword="null"/> when this page is the last.</param>
internal sealed record ApiJobPage(IReadOnlyList<JobRecord> Jobs, long? NextAfterId);

/// <summary>The body of <c>POST {prefix}/jobs</c>.</summary>
internal sealed class ApiEnqueueRequest
{
    /// <summary>The registered job name.</summary>
    public string? Name { get; init; }

    /// <summary>The payload, as the handler's payload type reads it (omitted or null for a handler that takes null).</summary>
    public JsonElement? Payload { get; init; }

    /// <summary>Per-job settings (queue, priority, delay, runAt, maxAttempts, timeout, uniqueKey, concurrencyKey, tags...).</summary>
    public JobOptions? Options { get; init; }
}

/// <summary>The answer of an action on one job.</summary>
/// <param name="Id">The job.</param>
/// <param name="Outcome">What happened: <c>Enqueued</c>, <c>Cancelled</c>, <c>CancellationRequested</c>, <c>Requeued</c>.</param>
internal sealed record ApiJobAction(JobId Id, string Outcome);

/// <summary>A recurring job with its next occurrences (<c>GET {prefix}/recurring</c>).</summary>
internal sealed record ApiSchedule
{
    public required string Name { get; init; }

    public required string Cron { get; init; }

    public required string TimeZoneId { get; init; }

    public required string JobName { get; init; }

    /// <summary>Each occurrence's payload, as JSON.</summary>
    public JsonElement? Payload { get; init; }

    public string? Queue { get; init; }

    public MisfirePolicy MisfirePolicy { get; init; }

    public int MaxMisfires { get; init; }

    public bool Paused { get; init; }

    public DateTimeOffset? LastOccurrence { get; init; }

    /// <summary>The next occurrence the scheduler will fire (none while paused).</summary>
    public DateTimeOffset? NextOccurrence { get; init; }

    /// <summary>The next occurrences of the expression from now, ignoring the paused state.</summary>
    public required IReadOnlyList<DateTimeOffset> Upcoming { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The answer of an action on a schedule.</summary>
/// <param name="Name">The schedule.</param>
/// <param name="Outcome"><c>Triggered</c>, <c>Paused</c> or <c>Resumed</c>.</param>
/// <param name="JobId">The job a trigger enqueued.</param>
internal sealed record ApiScheduleAction(string Name, string Outcome, JobId? JobId = null);

/// <summary>A queue of this process (<c>GET {prefix}/queues</c>).</summary>
/// <param name="Name">The queue.</param>
/// <param name="Concurrency">Its worker slots in this process.</param>
/// <param name="Paused">Whether this process has paused it; <see langword="null"/> in a process without workers.</param>
internal sealed record ApiQueue(string Name, int Concurrency, bool? Paused);

/// <summary>The answer of pausing or resuming a queue in this process.</summary>
/// <param name="Name">The queue.</param>
/// <param name="Paused">Whether it is now paused here.</param>
internal sealed record ApiQueueAction(string Name, bool Paused);
