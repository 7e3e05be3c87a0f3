using Cronos;

namespace TaskRunner;

/// <summary>Settings of the polling strategy that polls only inside scheduled windows (e.g. a nightly batch queue).</summary>
/// <remarks>
/// <para>Each window opens at the occurrences of its cron expression in <see cref="TimeZoneId"/> and stays open for
/// its duration (half-open: open at the occurrence, closed at occurrence + duration). Daylight-saving changes follow
/// Cronos: an occurrence that falls in a spring-forward gap opens the window at the end of the gap; in an autumn
/// overlap a fixed-time occurrence opens the window once (at its first, daylight-time instance) while interval
/// expressions (<c>*/30 …</c>) fire in both instances.</para>
/// <para>Inside a window the <see cref="InnerStrategyFactory"/> strategy decides (fixed interval by default). A wait that
/// would end outside every window is cut to the next opening; outside, the wait is the time until the next window
/// opens (never past it), at most 30 days (an engine that wakes at that cap polls once and waits again).</para>
/// <para>Attach it with <see cref="PollingQueueOptionsExtensions.UseScheduledWindows"/>.</para>
/// </remarks>
public sealed class ScheduledWindowPollingOptions
{
    /// <summary>The longest allowed window duration.</summary>
    public static readonly TimeSpan MaxWindowDuration = TimeSpan.FromDays(366);

    // Named per window: ScheduledWindowPollingOptions.Windows[i].Duration.
    private static readonly OptionRange<TimeSpan> DurationRange = new(nameof(PollingWindow.Duration), TimeSpan.FromTicks(1), MaxWindowDuration);

    /// <summary>The windows; at least one is required.</summary>
    /// <value>Defaults to an empty list. 1–100 windows.</value>
    public IList<PollingWindow> Windows { get; } = [];

    /// <summary>The time zone the cron expressions are read in: an IANA id (<c>Europe/Berlin</c>) or a Windows id
    /// (<c>W. Europe Standard Time</c>).</summary>
    /// <value>Defaults to <c>UTC</c>.</value>
    public string TimeZoneId { get; set; } = "UTC";

    /// <summary>Creates the strategy that decides inside the windows; <see langword="null"/> for a fixed interval with
    /// default <see cref="FixedIntervalPollingOptions"/>.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public Func<IServiceProvider, IPollingStrategy>? InnerStrategyFactory { get; set; }

    /// <summary>Adds a window.</summary>
    /// <param name="cron">A Cronos expression with 5 or 6 fields.</param>
    /// <param name="duration">How long the window stays open after each occurrence.</param>
    /// <returns>These options, for chaining.</returns>
    public ScheduledWindowPollingOptions AddWindow(string cron, TimeSpan duration)
    {
        Windows.Add(new PollingWindow(cron, duration));
        return this;
    }

    /// <summary>Checks the windows, their cron expressions and durations, and the time zone.</summary>
    /// <exception cref="ArgumentException">No window, too many windows, an invalid cron expression (the message quotes
    /// it) or an unknown time zone (the message quotes the id).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A window's duration is out of range.</exception>
    public void Validate() => _ = Compile();

    /// <summary>Validates and parses the settings.</summary>
    internal (IReadOnlyList<(CronExpression Cron, TimeSpan Duration)> Windows, TimeZoneInfo Zone) Compile()
    {
        if (Windows.Count is < 1 or > 100)
        {
            throw new ArgumentException(
                $"{nameof(ScheduledWindowPollingOptions)}.{nameof(Windows)} has {Windows.Count} windows; it must have between 1 and 100.",
                nameof(Windows));
        }

        var windows = new List<(CronExpression, TimeSpan)>(Windows.Count);
        for (var i = 0; i < Windows.Count; i++)
        {
            var window = Windows[i] ?? throw new ArgumentException(
                $"{nameof(ScheduledWindowPollingOptions)}.{nameof(Windows)}[{i}] is null.", nameof(Windows));
            DurationRange.ThrowIfOutside(window.Duration, $"{nameof(ScheduledWindowPollingOptions)}.{nameof(Windows)}[{i}]");
            windows.Add((ParseCron(window.Cron, i), window.Duration));
        }

        return (windows, FindZone(TimeZoneId));
    }

    private static CronExpression ParseCron(string? cron, int index)
    {
        var option = $"{nameof(ScheduledWindowPollingOptions)}.{nameof(Windows)}[{index}].{nameof(PollingWindow.Cron)}";
        if (string.IsNullOrWhiteSpace(cron))
        {
            throw new ArgumentException($"{option} is empty; it must be a cron expression with 5 or 6 fields.", option);
        }

        try
        {
            return CronSchedule.ParseExpression(cron);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{option}: {ex.Message}", option, ex);
        }
    }

    private static TimeZoneInfo FindZone(string? id)
    {
        var option = $"{nameof(ScheduledWindowPollingOptions)}.{nameof(TimeZoneId)}";
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException($"{option} is empty; it must be an IANA or Windows time zone id.", option);
        }

        try
        {
            return CronSchedule.ResolveTimeZone(id);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{option}: {ex.Message}", option, ex);
        }
    }
}
