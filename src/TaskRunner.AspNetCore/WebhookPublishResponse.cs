namespace TaskRunner.AspNetCore;

/// <summary>The JSON body of an accepted webhook call (202 when it created jobs, 200 when the event id was seen before).</summary>
/// <param name="EventName">The event.</param>
/// <param name="EventId">The event's id.</param>
/// <param name="Duplicate">Whether the event id was published before, so nothing new was enqueued.</param>
/// <param name="Jobs">The jobs the event matched.</param>
internal sealed record WebhookPublishResponse(string EventName, string EventId, bool Duplicate, IReadOnlyList<WebhookJob> Jobs);

/// <summary>One job of <see cref="WebhookPublishResponse"/>.</summary>
internal sealed record WebhookJob(string Subscription, string JobName, long Id, bool Created);
