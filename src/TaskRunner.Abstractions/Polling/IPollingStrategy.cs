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
}
