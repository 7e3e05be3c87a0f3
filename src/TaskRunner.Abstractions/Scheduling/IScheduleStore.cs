namespace TaskRunner;

/// <summary>Persistence of recurring schedules. Occurrence uniqueness itself rests on the job store's
/// <see cref="NewJob.IdempotencyKey"/>; this store keeps definitions and progress.</summary>
public interface IScheduleStore
{
    /// <summary>Inserts or replaces a schedule's definition (keeping its <see cref="ScheduleRecord.LastOccurrence"/> when
    /// <paramref name="schedule"/> has none), bumping its version.</summary>
    /// <returns>The stored record.</returns>
    ValueTask<ScheduleRecord> UpsertAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Reads one schedule.</summary>
    ValueTask<ScheduleRecord?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists all schedules, ordered by name.</summary>
    ValueTask<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule.</summary>
    /// <returns>Whether it existed.</returns>
    ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Pauses or resumes a schedule.</summary>
    /// <returns>Whether it existed.</returns>
    ValueTask<bool> SetPausedAsync(string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Records that occurrences up to <paramref name="occurrence"/> were fired, only if the stored last occurrence
    /// is still <paramref name="expectedLastOccurrence"/> (compare-and-swap) or already later (then nothing changes).</summary>
    /// <returns>Whether this call moved it.</returns>
    ValueTask<bool> TryAdvanceAsync(string name, DateTimeOffset? expectedLastOccurrence, DateTimeOffset occurrence, CancellationToken cancellationToken = default);

    /// <summary>A value that changes whenever any schedule changes, so nodes notice run-time edits cheaply.</summary>
    ValueTask<long> GetVersionAsync(CancellationToken cancellationToken = default);
}
