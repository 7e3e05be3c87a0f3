namespace TaskRunner;

/// <summary>Arguments of <see cref="IJobStore.CompleteAsync"/>. A class with init properties, so fields can be added
/// without breaking backends or callers.</summary>
public sealed class CompleteRequest
{
    /// <summary>The worker reports to apply, each compare-and-swap on its lease token.</summary>
    public required IReadOnlyList<JobCompletion> Completions { get; init; }

    /// <summary>The current time: stored as the finish time, and a lease whose expiry is before it is lost.</summary>
    public required DateTimeOffset Now { get; init; }
}
