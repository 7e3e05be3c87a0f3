namespace TaskRunner;

/// <summary>Defaults for every enqueue of one registered job; per-enqueue <see cref="JobOptions"/> override them.</summary>
public sealed class JobRegistrationOptions
{
    /// <summary>The queue.</summary>
    /// <value>Defaults to <c>"default"</c>.</value>
    public string? Queue { get; set; }

    /// <summary>The priority (higher first).</summary>
    /// <value>Defaults to 0.</value>
    public int? Priority { get; set; }

    /// <summary>Attempts before dead-lettering.</summary>
    /// <value>Defaults to <see cref="TaskRunnerOptions.DefaultMaxAttempts"/>.</value>
    public int? MaxAttempts { get; set; }

    /// <summary>How long one attempt may run.</summary>
    /// <value>Defaults to no limit.</value>
    public TimeSpan? Timeout { get; set; }

    /// <summary>A concurrency key applied to every job of this kind (one at a time across all processes).</summary>
    public string? ConcurrencyKey { get; set; }

    /// <summary>How many jobs with <see cref="ConcurrencyKey"/> may run at once across all processes.</summary>
    /// <value>Defaults to 1. Range 1–10000.</value>
    public int? ConcurrencyLimit { get; set; }

    /// <summary>Tags applied to every job of this kind.</summary>
    public IReadOnlyList<string>? Tags { get; set; }

    internal JobOptions ToJobOptions() => new()
    {
        Queue = Queue,
        Priority = Priority,
        MaxAttempts = MaxAttempts,
        Timeout = Timeout,
        ConcurrencyKey = ConcurrencyKey,
        ConcurrencyLimit = ConcurrencyLimit,
        Tags = Tags,
    };
}
