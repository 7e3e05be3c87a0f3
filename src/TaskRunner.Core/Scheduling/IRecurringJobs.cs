namespace TaskRunner;

/// <summary>Manages recurring schedules at run time. Changes are persisted in the <see cref="IScheduleStore"/> and take
/// effect without a restart: at once in this process, within <see cref="SchedulerOptions.StoreCheckInterval"/> in others.</summary>
public interface IRecurringJobs
{
    /// <summary>Adds a schedule, or replaces the definition of the one with the same name (keeping its progress and its
    /// paused state). Re-adding an identical definition changes nothing.</summary>
    /// <typeparam name="TPayload">The payload type, serialized with System.Text.Json.</typeparam>
    /// <param name="name">The schedule's unique name.</param>
    /// <param name="cron">A cron expression with 5 fields, or 6 with seconds first.</param>
    /// <param name="payload">The payload of each occurrence's job.</param>
    /// <param name="configure">Sets the time zone, misfire policy, queue or job name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored schedule.</returns>
    /// <exception cref="ArgumentException">The name is empty, the expression invalid, the time zone unknown or an option
    /// out of range; the message names the value.</exception>
    ValueTask<ScheduleRecord> AddOrUpdateAsync<TPayload>(string name, string cron, TPayload payload, Action<RecurringJobOptions>? configure = null, CancellationToken cancellationToken = default);

    /// <summary>Stops firing a schedule; occurrences while paused are skipped, not fired on resume.</summary>
    /// <returns>Whether the schedule exists.</returns>
    ValueTask<bool> PauseAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused schedule from its next occurrence.</summary>
    /// <returns>Whether the schedule exists.</returns>
    ValueTask<bool> ResumeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule. Jobs already enqueued for it are not touched.</summary>
    /// <returns>Whether the schedule existed.</returns>
    ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Enqueues one job for a schedule now, with an idempotency key of its own (so it never collides with a
    /// regular occurrence), without changing the schedule's progress. Works on paused schedules too.</summary>
    /// <returns>The new job's id; <see langword="null"/> when the schedule does not exist.</returns>
    ValueTask<JobId?> TriggerAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Reads one schedule with its next occurrence.</summary>
    /// <returns><see langword="null"/> when it does not exist.</returns>
    ValueTask<RecurringJobInfo?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists all schedules, ordered by name, each with its next occurrence.</summary>
    ValueTask<IReadOnlyList<RecurringJobInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The next <paramref name="count"/> occurrences of a stored schedule from now (ignoring its paused state).</summary>
    /// <returns>The occurrences with the zone's offset; empty when the schedule does not exist.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is outside 0–10000.</exception>
    ValueTask<IReadOnlyList<DateTimeOffset>> PreviewAsync(string name, int count, CancellationToken cancellationToken = default);

    /// <summary>The next <paramref name="count"/> occurrences of an expression after <paramref name="from"/>
    /// (default: now), without storing anything.</summary>
    /// <returns>The occurrences with the zone's offset.</returns>
    /// <exception cref="ArgumentException">The expression is invalid or the time zone unknown; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is outside 0–10000.</exception>
    IReadOnlyList<DateTimeOffset> Preview(string cron, string timeZoneId, int count, DateTimeOffset? from = null);
}
