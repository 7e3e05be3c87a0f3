using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Fires recurring schedules. Runs in every process: each occurrence is submitted with its occurrence key, so
/// the job store keeps exactly one job per occurrence however many schedulers fire it. Next fire times sit in a priority
/// queue; the loop sleeps until the earliest one or the next store check, whichever is first, and a local change ends
/// the sleep at once. Delayed jobs and retries are not its business: the engine's <see cref="DueTimeWaker"/> wakes the
/// pollers for them, also where this scheduler is disabled.</summary>
internal sealed class RecurringScheduler : BackgroundService
{
    private readonly IScheduleStore _store;
    private readonly IJobSubmitter _submitter;
    private readonly RecurringJobs _recurringJobs;
    private readonly SchedulerWakeup _wakeup;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RecurringScheduler> _logger;

    private readonly Dictionary<string, CronSchedule> _schedules = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _due = new();

    /// <summary>The longest a dispose waits for the cancelled loop; its store calls take the token, so it ends at once.</summary>
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(10);

    public RecurringScheduler(
        IScheduleStore store,
        IJobSubmitter submitter,
        RecurringJobs recurringJobs,
        SchedulerWakeup wakeup,
        IOptions<SchedulerOptions> options,
        TimeProvider time,
        ILogger<RecurringScheduler>? logger = null)
    {
        _store = store;
        _submitter = submitter;
        _recurringJobs = recurringJobs;
        _wakeup = wakeup;
        _options = options.Value;
        _time = time;
        _logger = logger ?? NullLogger<RecurringScheduler>.Instance;
    }

    /// <summary>Test seam: raised each time the loop goes to sleep, with the instant it sleeps until, after its timer is
    /// armed (so a fake clock advanced from the handler's continuation fires it).</summary>
    internal event Action<DateTimeOffset>? Sleeping;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Code registrations are stored even where the scheduler is disabled, and a bad one fails the host's start.
        await _recurringJobs.ApplyCodeRegistrationsAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Enabled)
        {
            await base.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Disposed without <c>StopAsync</c> (a host disposed unstopped): the base class cancels the loop but does
    /// not wait for it; waiting keeps it from using the store, which the container disposes next.</summary>
    public override void Dispose()
    {
        base.Dispose();
        try
        {
            ExecuteTask?.Wait(DisposeWait);
        }
        catch (AggregateException)
        {
            // The loop ends on its own exceptions; nothing is left running either way.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? knownVersion = null;
        var reload = true;
        var nextStoreCheck = DateTimeOffset.MinValue;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = _time.GetUtcNow();
                if (reload || now >= nextStoreCheck)
                {
                    _wakeup.Reset();

                    // The version is read before the list, so a change made while listing shows up on the next check.
                    var version = await _store.GetVersionAsync(stoppingToken).ConfigureAwait(false);
                    if (reload || version != knownVersion)
                    {
                        await LoadAsync(stoppingToken).ConfigureAwait(false);
                        knownVersion = version;
                    }

                    nextStoreCheck = now + _options.StoreCheckInterval;
                    reload = false;
                }

                await FireDueAsync(now, stoppingToken).ConfigureAwait(false);

                var until = nextStoreCheck;
                if (_due.TryPeek(out _, out var earliest) && earliest < until)
                {
                    until = earliest;
                }

                reload = await SleepUntilAsync(until, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: whatever a store call threw on the way out (cancelled, interrupted) is part of stopping.
                break;
            }
#pragma warning disable CA1031 // The loop must outlive a failing store call; it logs, waits and reloads.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                SchedulerLog.LoopFailed(_logger, _options.StoreCheckInterval, ex);
                try
                {
                    await Task.Delay(_options.StoreCheckInterval, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                reload = true;
            }
        }
    }

    /// <summary>Rebuilds the queue of next fire times from the store.</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var schedules = await _store.ListAsync(cancellationToken).ConfigureAwait(false);

        // Parsed expressions are kept across reloads; only new or changed definitions are parsed again.
        var previous = new Dictionary<string, CronSchedule>(_schedules, StringComparer.Ordinal);
        _schedules.Clear();
        _due.Clear();
        foreach (var schedule in schedules)
        {
            if (schedule.Paused || Parse(schedule, previous) is not { } cron)
            {
                continue;
            }

            _schedules[schedule.Name] = cron;
            if (cron.GetNextOccurrence(Baseline(schedule)) is { } next)
            {
                _due.Enqueue(schedule.Name, next);
            }
        }
    }

    private async Task FireDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (_due.TryPeek(out var name, out var due) && due <= now)
        {
            _due.Dequeue();

            try
            {
                await FireAsync(name, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One failing schedule (say, its job is no longer registered) must not hold up the others: it is retried
                // at the next store check, when the definition may have been fixed.
                SchedulerLog.FireFailed(_logger, name, _options.StoreCheckInterval, ex);
                _due.Enqueue(name, now + _options.StoreCheckInterval);
            }
        }
    }

    private async Task FireAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Re-read the schedule: another process may have fired it already (then nothing is due) or changed it.
        var schedule = await _store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (schedule is null || schedule.Paused || Parse(schedule, _schedules) is not { } cron)
        {
            _schedules.Remove(name);
            return;
        }

        _schedules[name] = cron;
        var plan = cron.PlanDue(Baseline(schedule), now, schedule.MisfirePolicy, schedule.MaxMisfires, _options.MisfireThreshold);
        var options = RecurringJobs.JobOptionsFor(schedule);
        foreach (var occurrence in plan.Fire)
        {
            var result = await _submitter.SubmitAsync(schedule.JobName, schedule.Payload, options, RecurringJobs.OccurrenceKey(name, occurrence), occurrence, cancellationToken).ConfigureAwait(false);
            SchedulerLog.OccurrenceFired(_logger, name, occurrence, result.Id, result.Created);
        }

        if (plan.AdvanceTo is { } last)
        {
            // Losing this compare-and-swap means another process recorded the same or a later occurrence: fine.
            await _store.TryAdvanceAsync(name, schedule.LastOccurrence, last, cancellationToken).ConfigureAwait(false);
            if (plan.HadMisfires)
            {
                SchedulerLog.Misfired(_logger, name, last, schedule.MisfirePolicy, plan.Fire.Count);
            }
        }

        if (plan.NextDue is { } next)
        {
            _due.Enqueue(name, next);
        }
    }

    /// <summary>Occurrences after this instant are due: the last one fired, or the last definition change (pause,
    /// resume, update, creation) when later, so a new or resumed schedule does not fire for the time before it.</summary>
    private static DateTimeOffset Baseline(ScheduleRecord schedule) =>
        schedule.LastOccurrence is { } last && last > schedule.UpdatedAt ? last : schedule.UpdatedAt;

    private CronSchedule? Parse(ScheduleRecord schedule, Dictionary<string, CronSchedule> known)
    {
        if (known.TryGetValue(schedule.Name, out var parsed) && parsed.Expression == schedule.Cron && parsed.TimeZoneId == schedule.TimeZoneId)
        {
            return parsed;
        }

        try
        {
            return CronSchedule.Parse(schedule.Cron, schedule.TimeZoneId);
        }
        catch (ArgumentException ex)
        {
            SchedulerLog.UnreadableSchedule(_logger, schedule.Name, ex);
            return null;
        }
    }

    /// <summary>Sleeps until <paramref name="until"/> or a local change.</summary>
    /// <returns>Whether a local change ended the sleep.</returns>
    private async Task<bool> SleepUntilAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        var wake = _wakeup.WaitAsync();
        if (wake.IsCompleted || until <= _time.GetUtcNow())
        {
            return wake.IsCompleted;
        }

        using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Armed for the instant, not for a delay from a clock read: the clock may move between the read and the arm.
        var timer = DeadlineTimer.DelayUntilAsync(_time, until, stopTimer.Token);
        Sleeping?.Invoke(until);
        var first = await Task.WhenAny(timer, wake).ConfigureAwait(ConfigureAwaitOptions.ForceYielding); // never continue on the clock's timer thread
        await stopTimer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == wake;
    }
}
