using Microsoft.Extensions.Logging;

namespace TaskRunner.AspNetCore;

/// <summary>The webhooks' log messages (category <c>TaskRunner.Webhooks</c>): refusals an operator should see, and publishes.</summary>
internal static partial class WebhookLog
{
    public const string Category = "TaskRunner.Webhooks";

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Webhook call from {RemoteAddress} refused (403): webhooks are local-only until the host sets TaskRunnerWebhookOptions.AuthorizationPolicy or AllowRemoteCallers")]
    public static partial void RemoteRefused(ILogger logger, string remoteAddress);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Webhook call for event '{EventName}' from {RemoteAddress} refused (401): bad or missing signature")]
    public static partial void BadSignature(ILogger logger, string eventName, string remoteAddress);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Webhook published event '{EventName}' id '{EventId}': {Created} of {Matched} jobs created")]
    public static partial void Published(ILogger logger, string eventName, string eventId, int created, int matched);
}
