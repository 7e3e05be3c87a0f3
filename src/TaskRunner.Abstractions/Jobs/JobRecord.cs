using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>A snapshot of a stored job, as read back from a store.</summary>
/// <remarks>Serializes to readable JSON with <see cref="System.Text.Json.JsonSerializer"/> as it is: the id a number, times
/// ISO-8601, the state its name, the batch id a string, payload and result as the JSON they hold (not base64).</remarks>
public sealed class JobRecord
{
    /// <summary>The job's id.</summary>
    public required JobId Id { get; init; }

    /// <summary>The stable job name.</summary>
    public required string Name { get; init; }

    /// <summary>The queue.</summary>
    public required string Queue { get; init; }

    /// <summary>The serialized payload (UTF-8 JSON).</summary>
    [JsonConverter(typeof(EmbeddedJsonConverter))]
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>The current state.</summary>
    public required JobState State { get; init; }

    /// <summary>The priority (higher first).</summary>
    public int Priority { get; init; }

    /// <summary>When the job is or was due.</summary>
    public DateTimeOffset RunAt { get; init; }

    /// <summary>When the job was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Attempts started so far (a claim starts one; a graceful hand-back undoes it).</summary>
    public int Attempts { get; init; }

    /// <summary>The attempt limit.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>The per-attempt timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The unique key, if any.</summary>
    public string? UniqueKey { get; init; }

    /// <summary>The idempotency key, if any.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The concurrency key, if any.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>How many jobs with <see cref="ConcurrencyKey"/> may run at once (<see cref="NewJob.ConcurrencyLimit"/>).</summary>
    public int ConcurrencyLimit { get; init; } = 1;

    /// <summary>The tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The batch, if any.</summary>
    public BatchId? BatchId { get; init; }

    /// <summary>When the job was first claimed (its first attempt started); <see langword="null"/> until then.</summary>
    public DateTimeOffset? FirstStartedAt { get; init; }

    /// <summary>When the job was last claimed (its latest attempt started); <see langword="null"/> until then.</summary>
    public DateTimeOffset? LastStartedAt { get; init; }

    /// <summary>The occurrence of a recurring schedule this job was created for (<see cref="NewJob.OccurrenceAt"/>).</summary>
    public DateTimeOffset? OccurrenceAt { get; init; }

    /// <summary>The batch whose continuation this job is; <see langword="null"/> for other jobs.</summary>
    public BatchId? ContinuationOf { get; init; }

    /// <summary>The lease owner: the worker holding or last holding the lease (<see cref="ClaimRequest.Owner"/>).</summary>
    public string? Owner { get; init; }

    /// <summary>The lease token of the current or last claim; grows with every claim.</summary>
    public long LeaseToken { get; init; }

    /// <summary>When the current lease expires; <see langword="null"/> unless the job is running.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Whether cancellation was requested while running.</summary>
    public bool CancellationRequested { get; init; }

    /// <summary>Reported progress, 0–100.</summary>
    public int? ProgressPercent { get; init; }

    /// <summary>Reported progress message.</summary>
    public string? ProgressMessage { get; init; }

    /// <summary>The serialized result of a successful run (UTF-8 JSON).</summary>
    [JsonConverter(typeof(NullableEmbeddedJsonConverter))]
    public ReadOnlyMemory<byte>? Result { get; init; }

    /// <summary>The last error.</summary>
    public JobError? LastError { get; init; }

    /// <summary>When the job reached a finished state.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The trace context captured at enqueue.</summary>
    public string? TraceParent { get; init; }
}
