namespace TaskRunner;

/// <summary>Keeps schedules in this process's memory: the default <see cref="IScheduleStore"/>, and the one tests use.</summary>
internal sealed class InMemoryScheduleStore : IScheduleStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, ScheduleRecord> _schedules = new(StringComparer.Ordinal);
    private long _version;

    /// <inheritdoc />
    public ValueTask<ScheduleRecord> UpsertAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        lock (_gate)
        {
            _schedules.TryGetValue(schedule.Name, out var existing);
            var stored = schedule with
            {
                LastOccurrence = schedule.LastOccurrence ?? existing?.LastOccurrence,
                CreatedAt = existing?.CreatedAt ?? now,
                UpdatedAt = now,
                Version = (existing?.Version ?? 0) + 1,
            };
            _schedules[schedule.Name] = stored;
            _version++;
            return ValueTask.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public ValueTask<ScheduleRecord?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            return ValueTask.FromResult(_schedules.GetValueOrDefault(name));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<ScheduleRecord>>([.. _schedules.Values]);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            var removed = _schedules.Remove(name);
            if (removed)
            {
                _version++;
            }

            return ValueTask.FromResult(removed);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SetPausedAsync(string name, bool paused, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            if (!_schedules.TryGetValue(name, out var existing))
            {
                return ValueTask.FromResult(false);
            }

            _schedules[name] = existing with { Paused = paused, UpdatedAt = now, Version = existing.Version + 1 };
            _version++;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAdvanceAsync(string name, DateTimeOffset? expectedLastOccurrence, DateTimeOffset occurrence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            if (!_schedules.TryGetValue(name, out var existing)
                || existing.LastOccurrence != expectedLastOccurrence
                || (existing.LastOccurrence is { } last && last >= occurrence))
            {
                return ValueTask.FromResult(false);
            }

            _schedules[name] = existing with { LastOccurrence = occurrence, Version = existing.Version + 1 };
            _version++;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_version);
        }
    }
}
