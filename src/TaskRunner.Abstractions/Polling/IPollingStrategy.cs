namespace TaskRunner;

/// <summary>
/// Decides when a queue's poller looks for work next and how much it asks for. One instance serves one queue
/// and may keep state between calls; it is called from that queue's poll loop only, never concurrently.
/// </summary>
public interface IPollingStrategy
{
    /// <summary>The decision before the first poll.</summary>
    PollDecision Initial { get; }

    /// <summary>Decides the next poll from the outcome of the last one.</summary>
    PollDecision Decide(in PollOutcome outcome);

    /// <summary>
    /// How long the queue must wait before it may claim, asked right before every claim whatever woke the poller (its
    /// own delay, a local enqueue, a delayed job or retry falling due, a freed slot, a finished batch, a lease
    /// recovery). A strategy that says "not now" is honoured by every wake-up: the poller sleeps that long without
    /// claiming, and a wake-up meanwhile only makes it ask again.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <returns><see cref="TimeSpan.Zero"/> (or less) to claim now; otherwise the wait until claiming is allowed. The
    /// default allows every claim.</returns>
    TimeSpan GetClaimDelay(DateTimeOffset now) => TimeSpan.Zero;
}
