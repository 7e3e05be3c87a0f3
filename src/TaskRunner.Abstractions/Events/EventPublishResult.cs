namespace TaskRunner;

/// <summary>What one publish stored: the jobs of the subscriptions that matched the event.</summary>
public sealed class EventPublishResult
{
    /// <summary>The event's name.</summary>
    public required string EventName { get; init; }

    /// <summary>The event's id.</summary>
    public required string EventId { get; init; }

    /// <summary>One entry per job the event matched, in subscription order; empty when no subscription matched.</summary>
    public IReadOnlyList<PublishedJob> Jobs { get; init; } = [];

    /// <summary>How many of <see cref="Jobs"/> this publish created (the others existed from an earlier publish of the same event id).</summary>
    public int CreatedCount => Jobs.Count(j => j.Created);

    /// <summary>Whether the event id was published before: the event matched jobs and every one of them existed already.</summary>
    public bool IsDuplicate => Jobs.Count > 0 && CreatedCount == 0;
}
