using Microsoft.Extensions.Logging;

namespace TaskRunner.AspNetCore;

/// <summary>The JSON API's log messages (category <c>TaskRunner.Api</c>).</summary>
internal static partial class ApiLog
{
    public const string Category = "TaskRunner.Api";

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "TaskRunner API call from {RemoteAddress} refused (403): the API is local-only until the host sets TaskRunnerApiOptions.AuthorizationPolicy or AllowRemoteCallers")]
    public static partial void RemoteRefused(ILogger logger, string remoteAddress);
}
