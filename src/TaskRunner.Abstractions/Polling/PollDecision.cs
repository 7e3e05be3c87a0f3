namespace TaskRunner;

/// <summary>What a polling strategy decides: how long to wait before the next poll, and how many jobs to ask for.</summary>
/// <param name="Delay">The wait before the next poll. A local enqueue ends the wait early.</param>
/// <param name="BatchSize">The most jobs to claim in the next poll (at least 1).</param>
public readonly record struct PollDecision(TimeSpan Delay, int BatchSize);
