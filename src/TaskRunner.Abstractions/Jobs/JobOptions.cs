namespace TaskRunner;

/// <summary>Per-enqueue settings. Unset values fall back to the job's registration, then to the runner's options.</summary>
public sealed class JobOptions
{
    /// <summary>The name of the queue used when none is given.</summary>
    public const string DefaultQueue = "default";

    /// <summary>The queue to enqueue into.</summary>
    public string? Queue { get; init; }

    /// <summary>Higher runs first among due jobs of a queue.</summary>
    public int? Priority { get; init; }

    /// <summary>Run no earlier than this instant. Takes precedence over <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Run no earlier than this long after enqueue.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Attempts before the job is dead-lettered (1 = no retry).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>How long one attempt may run before it is cancelled.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>See <see cref="NewJob.UniqueKey"/>.</summary>
    public string? UniqueKey { get; init; }

    /// <summary>Debounce on <see cref="UniqueKey"/>: another enqueue with the key while the job waits moves its run-at on to
    /// this enqueue's <see cref="Delay"/>/<see cref="RunAt"/>, at most this long after the first enqueue; while it runs,
    /// a new job is queued after it. The concurrency key defaults to the unique key, so the two never overlap.
    /// See <see cref="NewJob.DebounceMaxDelay"/>. Requires <see cref="UniqueKey"/>.</summary>
    public TimeSpan? DebounceMaxDelay { get; init; }

    /// <summary>See <see cref="NewJob.ConcurrencyKey"/>.</summary>
    public string? ConcurrencyKey { get; init; }

    /// <summary>How many jobs with <see cref="ConcurrencyKey"/> may run at once across all processes
    /// (<see cref="NewJob.ConcurrencyLimit"/>).</summary>
    /// <value>Defaults to 1. Range 1–10000.</value>
    public int? ConcurrencyLimit { get; init; }

    /// <summary>Labels stored with the job.</summary>
    public IReadOnlyList<string>? Tags { get; init; }
}
