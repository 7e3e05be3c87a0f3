using Microsoft.Extensions.Logging;

namespace TaskRunner.Diagnostics;

/// <summary>Source-generated log messages of the engine.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "TaskRunner node {NodeId} started: queues {Queues}")]
    public static partial void RunnerStarted(ILogger logger, string nodeId, string queues);

    [LoggerMessage(2, LogLevel.Information, "TaskRunner node {NodeId} stopped")]
    public static partial void RunnerStopped(ILogger logger, string nodeId);

    [LoggerMessage(3, LogLevel.Error, "TaskRunner failed to start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Polling queue {Queue} failed")]
    public static partial void PollFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Circuit breaker opened: the store keeps failing; polling and maintenance pause for {BreakDuration}")]
    public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration, Exception? exception);

    [LoggerMessage(6, LogLevel.Information, "Circuit breaker half-open: probing the store")]
    public static partial void CircuitHalfOpen(ILogger logger);

    [LoggerMessage(7, LogLevel.Information, "Circuit breaker closed: polling resumes")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(8, LogLevel.Warning, "Job {JobId} ({JobName}) attempt {Attempt} failed; retry at {RetryAt}")]
    private static partial void JobFailed(ILogger logger, JobId jobId, string jobName, int attempt, string retryAt, Exception? exception);

    /// <summary>The retry time in ISO 8601 UTC, whatever the machine's culture (a log is read on other machines).</summary>
    public static void JobFailed(ILogger logger, JobId jobId, string jobName, int attempt, DateTimeOffset retryAt, Exception? exception) =>
        JobFailed(logger, jobId, jobName, attempt, Invariant(retryAt), exception);

    /// <summary>An instant as a log shows it: ISO 8601 in UTC, invariant culture.</summary>
    public static string Invariant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly Func<ILogger, JobId, string, int, string, IDisposable?> JobScopeFormat =
        LoggerMessage.DefineScope<JobId, string, int, string>("Job {JobId} ({JobName}) attempt {Attempt} in queue {Queue}");

    /// <summary>The scope around one execution: every log line of the runner and of the handler (through the same
    /// logger factory) carries the job's id, name, attempt and queue.</summary>
    public static IDisposable? JobScope(ILogger logger, ClaimedJob job) => JobScopeFormat(logger, job.Id, job.Name, job.Attempt, job.Queue);

    [LoggerMessage(50, LogLevel.Warning, "{Count} pending jobs wait for a worker nobody runs: {What}. Start a worker that serves it (or resume the queue)")]
    public static partial void UnservedWork(ILogger logger, long count, string what);

    [LoggerMessage(51, LogLevel.Information, "Queue {Queue} {Change} in node {NodeId}")]
    public static partial void QueuePauseChanged(ILogger logger, string queue, string change, string nodeId);

    [LoggerMessage(52, LogLevel.Information, "Configuration reloaded: queue {Queue} polls with {Strategy}")]
    public static partial void PollingReloaded(ILogger logger, string queue, string strategy);

    [LoggerMessage(53, LogLevel.Warning, "Configuration reload rejected; the queues keep their polling settings")]
    public static partial void ReloadRejected(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "Job {JobId} ({JobName}) dead-lettered: {Reason}")]
    public static partial void JobDeadLettered(ILogger logger, JobId jobId, string jobName, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Job {JobId} ({JobName}): the lease was lost; the outcome of this attempt was not recorded")]
    public static partial void LeaseLost(ILogger logger, JobId jobId, string jobName);

    [LoggerMessage(11, LogLevel.Warning, "Writing {Count} job outcomes failed (try {Try}); retrying")]
    public static partial void CompletionWriteFailed(ILogger logger, int count, int @try, Exception exception);

    [LoggerMessage(12, LogLevel.Error, "Giving up writing {Count} job outcomes; their leases will expire and the jobs will be recovered")]
    public static partial void CompletionWriteAbandoned(ILogger logger, int count, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Heartbeat failed")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(14, LogLevel.Information, "Recovered expired leases: {Requeued} requeued, {DeadLettered} dead-lettered")]
    public static partial void LeasesRecovered(ILogger logger, int requeued, int deadLettered);

    [LoggerMessage(15, LogLevel.Warning, "Maintenance ({Task}) failed")]
    public static partial void MaintenanceFailed(ILogger logger, string task, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "Job observer {Observer} threw")]
    public static partial void ObserverFailed(ILogger logger, string observer, Exception exception);

    [LoggerMessage(17, LogLevel.Warning, "Shutdown timeout elapsed: cancelling {Count} running jobs and handing them back")]
    public static partial void ShutdownCancelling(ILogger logger, int count);

    [LoggerMessage(19, LogLevel.Warning, "Shutdown abandoned {Count} jobs whose handlers ignored cancellation; their leases will expire and another process will recover them")]
    public static partial void ShutdownAbandoned(ILogger logger, int count);

    [LoggerMessage(31, LogLevel.Debug, "Maintenance ({Task}) skipped: the store circuit breaker is open")]
    public static partial void MaintenanceSkipped(ILogger logger, string task);
    [LoggerMessage(40, LogLevel.Warning, "The host's shutdown timeout (HostOptions.ShutdownTimeout = {HostTimeout}) is shorter than TaskRunnerOptions.ShutdownTimeout ({ShutdownTimeout}): at shutdown running jobs get {Grace} to finish, then they are cancelled and handed back before the host gives up. Raise the host's timeout or lower ours to make them agree")]
    public static partial void ShutdownTimeoutMismatch(ILogger logger, TimeSpan hostTimeout, TimeSpan shutdownTimeout, TimeSpan grace);

    [LoggerMessage(41, LogLevel.Information, "TaskRunner node {NodeId} disposed without being stopped: stopping now, running jobs are cancelled and handed back")]
    public static partial void DisposedRunning(ILogger logger, string nodeId);

    [LoggerMessage(18, LogLevel.Information, "Purged {Count} finished jobs in state {State}")]
    public static partial void Purged(ILogger logger, int count, JobState state);
}
