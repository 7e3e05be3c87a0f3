using Microsoft.Extensions.Logging;

namespace TaskRunner;

/// <summary>The scheduler's log messages.</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Recurring schedule '{Name}' differs from its registration in code ('{StoredCron}' in {StoredZone} stored, '{CodeCron}' in {CodeZone} in code); the code's definition replaces it.")]
    public static partial void CodeDefinitionWins(ILogger logger, string name, string storedCron, string storedZone, string codeCron, string codeZone);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Recurring schedule '{Name}' fired occurrence {Occurrence:O} (job {JobId}, new: {Created}).")]
    public static partial void OccurrenceFired(ILogger logger, string name, DateTimeOffset occurrence, JobId jobId, bool created);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Recurring schedule '{Name}' missed occurrences up to {LatestMissed:O}; misfire policy {Policy} fired {Fired} occurrence(s) now.")]
    public static partial void Misfired(ILogger logger, string name, DateTimeOffset latestMissed, MisfirePolicy policy, int fired);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Recurring schedule '{Name}' is stored with a definition this process cannot read; it is not fired here.")]
    public static partial void UnreadableSchedule(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "The recurring scheduler failed; it retries after {RetryDelay}.")]
    public static partial void LoopFailed(ILogger logger, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Recurring schedule '{Name}' could not fire; it retries after {RetryDelay}.")]
    public static partial void FireFailed(ILogger logger, string name, TimeSpan retryDelay, Exception exception);
}
