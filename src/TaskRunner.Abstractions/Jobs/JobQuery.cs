using System.Globalization;

namespace TaskRunner;

/// <summary>Filters for <see cref="IJobStore.ListAsync"/> and <see cref="IJobStore.CountMatchingAsync"/>: every filter set
/// must match (AND); lists are in id order and paged by id (<see cref="AfterId"/>), which is stable while jobs are added,
/// change state or are purged. A record, so a page is <c>query with { AfterId = last }</c>.</summary>
public sealed record JobQuery
{
    /// <summary>The largest <see cref="Limit"/> a store accepts.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Only jobs in this state.</summary>
    public JobState? State { get; init; }

    /// <summary>Only jobs in this queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only jobs with this job name (<see cref="NewJob.Name"/>).</summary>
    public string? JobName { get; init; }

    /// <summary>Only jobs in this batch.</summary>
    public BatchId? BatchId { get; init; }

    /// <summary>Only jobs carrying this tag (exact, case-sensitive).</summary>
    public string? Tag { get; init; }

    /// <summary>Only jobs created at or after this instant.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only jobs created before this instant.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>Only jobs that finished at or after this instant (finished jobs only).</summary>
    public DateTimeOffset? FinishedFrom { get; init; }

    /// <summary>Only jobs that finished before this instant (finished jobs only).</summary>
    public DateTimeOffset? FinishedBefore { get; init; }

    /// <summary>Only jobs with an id greater than this (for paging: pass the last id of the previous page). Counting
    /// ignores it.</summary>
    public JobId? AfterId { get; init; }

    /// <summary>The most jobs to return, 1 to <see cref="MaxLimit"/>. Counting ignores it.</summary>
    /// <value>Defaults to 100.</value>
    public int Limit { get; init; } = 100;

    /// <summary>Whether any filter that narrows by time is set (a store may pick another index for those).</summary>
    public bool HasTimeRange => CreatedFrom is not null || CreatedBefore is not null || FinishedFrom is not null || FinishedBefore is not null;

    /// <summary>Checks the query before a store runs it; every backend calls this first, so bad input fails the same way
    /// everywhere.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Limit"/> is outside 1 to <see cref="MaxLimit"/>, a state is
    /// not a <see cref="JobState"/>, or a range ends before it starts.</exception>
    /// <exception cref="ArgumentException">A text filter is empty.</exception>
    public void ThrowIfInvalid()
    {
        if (Limit is < 1 or > MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, string.Create(CultureInfo.InvariantCulture,
                $"JobQuery.Limit is {Limit}; it must be between 1 and {MaxLimit}."));
        }

        if (State is { } state && !Enum.IsDefined(state))
        {
            throw new ArgumentOutOfRangeException(nameof(State), state, string.Create(CultureInfo.InvariantCulture,
                $"JobQuery.State is {(int)state}, which is not a JobState."));
        }

        ThrowIfEmpty(Queue, nameof(Queue));
        ThrowIfEmpty(JobName, nameof(JobName));
        ThrowIfEmpty(Tag, nameof(Tag));
        ThrowIfReversed(CreatedFrom, CreatedBefore, nameof(CreatedFrom), nameof(CreatedBefore));
        ThrowIfReversed(FinishedFrom, FinishedBefore, nameof(FinishedFrom), nameof(FinishedBefore));
    }

    private static void ThrowIfEmpty(string? value, string name)
    {
        if (value is { Length: 0 })
        {
            throw new ArgumentException($"JobQuery.{name} is empty; leave it null to match every value.", name);
        }
    }

    private static void ThrowIfReversed(DateTimeOffset? from, DateTimeOffset? before, string fromName, string beforeName)
    {
        if (from is { } f && before is { } b && b < f)
        {
            throw new ArgumentOutOfRangeException(beforeName, b, string.Create(CultureInfo.InvariantCulture,
                $"JobQuery.{beforeName} ({b:O}) is earlier than JobQuery.{fromName} ({f:O}); a range must not end before it starts."));
        }
    }
}
