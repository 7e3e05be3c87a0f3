namespace TaskRunner;

/// <summary>Arguments of <see cref="IJobStore.ReportProgressAsync"/>. A class with init properties, so fields can be added
/// without breaking backends or callers.</summary>
public sealed class ProgressRequest
{
    /// <summary>The lease the report is made under.</summary>
    public required JobLease Lease { get; init; }

    /// <summary>The percentage done, from <see cref="JobProgress.MinPercent"/> to <see cref="JobProgress.MaxPercent"/>.</summary>
    public required int Percent { get; init; }

    /// <summary>An optional message stored with the percentage.</summary>
    public string? Message { get; init; }

    /// <summary>The current time: a lease whose expiry is before it is lost.</summary>
    public required DateTimeOffset Now { get; init; }
}
