using Microsoft.Extensions.Logging;

namespace TaskRunner.AspNetCore;

/// <summary>The audit log of the JSON API's actions (category <c>TaskRunner.AspNetCore.Audit</c>): one entry per action
/// request, done or refused, written by <see cref="ApiAuditFilter"/>.</summary>
internal static partial class ApiAuditLog
{
    public const string Category = "TaskRunner.AspNetCore.Audit";

    /// <summary>One action: Information when done (2xx) or not applicable (404, 409, 400), Warning when refused (401, 403),
    /// Error when it failed (5xx or an exception).</summary>
    [LoggerMessage(EventId = 1, EventName = "ApiAction",
        Message = "TaskRunner API action {Action} on {TargetKind} {Target}: {Outcome} ({StatusCode}) from {RemoteAddress}, user {User}")]
    public static partial void Action(ILogger logger, LogLevel level, Exception? exception, string action, string targetKind, string? target,
        string outcome, int statusCode, string? user, string? remoteAddress);
}
