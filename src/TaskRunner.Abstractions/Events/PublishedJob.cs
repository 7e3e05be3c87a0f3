namespace TaskRunner;

/// <summary>One job an event publish matched.</summary>
/// <param name="Subscription">The subscription target's name (by default its job name), part of the job's idempotency key.</param>
/// <param name="JobName">The job's registered name.</param>
/// <param name="Id">The job's id: new, or the existing job's when the event id was published before.</param>
/// <param name="Created"><see langword="false"/> when the job existed from an earlier publish of the same event id.</param>
public readonly record struct PublishedJob(string Subscription, string JobName, JobId Id, bool Created);
