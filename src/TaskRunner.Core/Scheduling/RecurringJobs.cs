using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>The run-time schedule API, and the step that applies code registrations at start.</summary>
internal sealed class RecurringJobs : IRecurringJobs
{
    private const int MaxPreview = 10_000;

    private readonly IScheduleStore _store;
    private readonly IJobSubmitter _submitter;
    private readonly IPayloadJobNameResolver _jobNames;
    private readonly SchedulerWakeup _wakeup;
    private readonly TimeProvider _time;
    private readonly JsonSerializerOptions _json;
    private readonly IReadOnlyList<RecurringJobRegistration> _registrations;
    private readonly ILogger<RecurringJobs> _logger;

    public RecurringJobs(
        IScheduleStore store,
        IJobSubmitter submitter,
        IPayloadJobNameResolver jobNames,
        SchedulerWakeup wakeup,
        TimeProvider time,
        IOptions<TaskRunnerOptions> options,
        IEnumerable<RecurringJobRegistration> registrations,
        ILogger<RecurringJobs>? logger = null)
    {
        _store = store;
        _submitter = submitter;
        _jobNames = jobNames;
        _wakeup = wakeup;
        _time = time;
        _json = options.Value.JsonSerializerOptions;
        _registrations = [.. registrations];
        _logger = logger ?? NullLogger<RecurringJobs>.Instance;
    }

    /// <summary>The idempotency key of a schedule's regular occurrence: the same on every node, so the job store keeps one
    /// job per occurrence however many schedulers fire it.</summary>
    public static string OccurrenceKey(string name, DateTimeOffset occurrence) =>
        string.Create(CultureInfo.InvariantCulture, $"schedule:{name}:{occurrence.UtcDateTime:O}");

    /// <summary>Checks a definition; throws <see cref="ArgumentException"/> naming the bad value.</summary>
    public static CronSchedule ValidateDefinition(string name, string cron, RecurringJobOptions options)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A recurring schedule needs a non-empty name.", nameof(name));
        }

        ArgumentNullException.ThrowIfNull(cron);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxMisfires is < 1 or > 10_000)
        {
            throw new ArgumentException($"RecurringJobOptions.MaxMisfires of schedule '{name}' is {options.MaxMisfires}; it must be between 1 and 10000.", nameof(options));
        }

        if (!Enum.IsDefined(options.MisfirePolicy))
        {
            throw new ArgumentException($"RecurringJobOptions.MisfirePolicy of schedule '{name}' is {options.MisfirePolicy}; it must be FireOnce, FireAll or Skip.", nameof(options));
        }

        try
        {
            return CronSchedule.Parse(cron, options.TimeZoneId);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Recurring schedule '{name}': {ex.Message}", ex.ParamName == "timeZoneId" ? "timeZoneId" : nameof(cron), ex);
        }
    }

    /// <summary>Whether two records define the same schedule (progress, pause state and timestamps aside).</summary>
    public static bool SameDefinition(ScheduleRecord a, ScheduleRecord b) =>
        a.Name == b.Name
        && a.Cron == b.Cron
        && a.TimeZoneId == b.TimeZoneId
        && a.JobName == b.JobName
        && a.Queue == b.Queue
        && a.MisfirePolicy == b.MisfirePolicy
        && a.MaxMisfires == b.MaxMisfires
        && a.Payload.Span.SequenceEqual(b.Payload.Span);

    public async ValueTask<ScheduleRecord> AddOrUpdateAsync<TPayload>(string name, string cron, TPayload payload, Action<RecurringJobOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new RecurringJobOptions();
        configure?.Invoke(options);
        var definition = BuildRecord(name, cron, typeof(TPayload), payload, options);
        var stored = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (stored is not null && SameDefinition(stored, definition))
        {
            // Unchanged: no write, so the schedule's baseline (and any misfire bookkeeping) is not reset.
            return stored;
        }

        var result = await _store.UpsertAsync(definition with { Paused = stored?.Paused ?? false }, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        _wakeup.Notify();
        return result;
    }

    public async ValueTask<bool> PauseAsync(string name, CancellationToken cancellationToken = default) =>
        Changed(await _store.SetPausedAsync(name, paused: true, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false));

    public async ValueTask<bool> ResumeAsync(string name, CancellationToken cancellationToken = default) =>
        Changed(await _store.SetPausedAsync(name, paused: false, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false));

    public async ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default) =>
        Changed(await _store.RemoveAsync(name, cancellationToken).ConfigureAwait(false));

    public async ValueTask<JobId?> TriggerAsync(string name, CancellationToken cancellationToken = default)
    {
        var schedule = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (schedule is null)
        {
            return null;
        }

        // A key of its own: a manual run must neither collide with nor suppress a regular occurrence.
        var key = string.Create(CultureInfo.InvariantCulture, $"schedule:{name}:trigger:{Guid.NewGuid():N}");
        // A manual run's occurrence is the instant it was triggered.
        var result = await _submitter.SubmitAsync(schedule.JobName, schedule.Payload, JobOptionsFor(schedule), key, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return result.Id;
    }

    public async ValueTask<RecurringJobInfo?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var schedule = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        return schedule is null ? null : Describe(schedule, _time.GetUtcNow());
    }

    public async ValueTask<IReadOnlyList<RecurringJobInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var schedules = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        return [.. schedules.Select(s => Describe(s, now))];
    }

    public async ValueTask<IReadOnlyList<DateTimeOffset>> PreviewAsync(string name, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxPreview);
        var schedule = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        return schedule is null ? [] : CronSchedule.Parse(schedule.Cron, schedule.TimeZoneId).GetNextOccurrences(_time.GetUtcNow(), count);
    }

    public IReadOnlyList<DateTimeOffset> Preview(string cron, string timeZoneId, int count, DateTimeOffset? from = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxPreview);
        return CronSchedule.Parse(cron, timeZoneId).GetNextOccurrences(from ?? _time.GetUtcNow(), count);
    }

    /// <summary>Stores the schedules registered in code: new ones are added, changed ones updated (code wins, keeping
    /// progress and pause state), unchanged ones left alone.</summary>
    /// <exception cref="InvalidOperationException">A name is registered twice with different definitions.</exception>
    public async Task ApplyCodeRegistrationsAsync(CancellationToken cancellationToken)
    {
        var definitions = new Dictionary<string, ScheduleRecord>(StringComparer.Ordinal);
        foreach (var registration in _registrations)
        {
            var record = BuildRecord(registration.Name, registration.Cron, registration.PayloadType, registration.Payload, registration.Options);
            if (definitions.TryGetValue(record.Name, out var earlier))
            {
                if (!SameDefinition(earlier, record))
                {
                    throw new InvalidOperationException(
                        $"The recurring schedule name '{record.Name}' is registered twice with different definitions ('{earlier.Cron}' in {earlier.TimeZoneId} for job '{earlier.JobName}' and '{record.Cron}' in {record.TimeZoneId} for job '{record.JobName}'). Give each schedule its own name.");
                }

                continue;
            }

            definitions.Add(record.Name, record);
        }

        foreach (var definition in definitions.Values)
        {
            var stored = await _store.GetAsync(definition.Name, cancellationToken).ConfigureAwait(false);
            if (stored is not null && SameDefinition(stored, definition))
            {
                continue;
            }

            if (stored is not null)
            {
                SchedulerLog.CodeDefinitionWins(_logger, definition.Name, stored.Cron, stored.TimeZoneId, definition.Cron, definition.TimeZoneId);
            }

            await _store.UpsertAsync(definition with { Paused = stored?.Paused ?? false }, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        if (definitions.Count > 0)
        {
            _wakeup.Notify();
        }
    }

    /// <summary>The per-job settings of a schedule's occurrences.</summary>
    public static JobOptions? JobOptionsFor(ScheduleRecord schedule) =>
        schedule.Queue is null ? null : new JobOptions { Queue = schedule.Queue };

    private ScheduleRecord BuildRecord(string name, string cron, Type payloadType, object? payload, RecurringJobOptions options)
    {
        ValidateDefinition(name, cron, options);
        return new ScheduleRecord
        {
            Name = name,
            Cron = cron,
            TimeZoneId = options.TimeZoneId,
            JobName = options.JobName ?? _jobNames.Resolve(payloadType),
            Payload = JsonSerializer.SerializeToUtf8Bytes(payload, payloadType, _json),
            Queue = options.Queue,
            MisfirePolicy = options.MisfirePolicy,
            MaxMisfires = options.MaxMisfires,
        };
    }

    private static RecurringJobInfo Describe(ScheduleRecord schedule, DateTimeOffset now)
    {
        DateTimeOffset? next = null;
        if (!schedule.Paused)
        {
            try
            {
                next = CronSchedule.Parse(schedule.Cron, schedule.TimeZoneId).GetNextOccurrence(now);
            }
            catch (ArgumentException)
            {
                // A definition stored by another version or by hand may not parse here; list it without a next time.
            }
        }

        return new RecurringJobInfo { Schedule = schedule, NextOccurrence = next };
    }

    private bool Changed(bool existed)
    {
        if (existed)
        {
            _wakeup.Notify();
        }

        return existed;
    }
}
