using Cronos;

namespace TaskRunner;

/// <summary>A parsed cron expression read in one time zone: pure occurrence maths on Cronos, with explicit UTC instants.</summary>
/// <remarks>
/// Daylight saving time follows Cronos (the same rules as Vixie cron):
/// <list type="bullet">
/// <item>Spring gap: an occurrence whose local time does not exist (e.g. <c>30 2 * * *</c> on the day clocks jump from
/// 02:00 to 03:00) fires once at the first valid instant after the gap (03:00 local); interval expressions lose nothing
/// either, every occurrence inside the gap collapses onto that same instant, which fires once.</item>
/// <item>Autumn overlap: a non-interval expression (no <c>*</c>, range or step in its second, minute or hour field, e.g.
/// <c>30 1 * * *</c>) fires once, in the first (daylight time) pass of the repeated hour; an interval expression (e.g.
/// <c>*/30 * * * *</c>) fires in both passes, so the wall-clock times of the repeated hour fire twice, at distinct UTC
/// instants.</item>
/// </list>
/// </remarks>
internal sealed class CronSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(string expression, CronExpression parsed, TimeZoneInfo timeZone)
    {
        Expression = expression;
        _expression = parsed;
        TimeZone = timeZone;
    }

    /// <summary>The expression as given.</summary>
    public string Expression { get; }

    /// <summary>The zone id as given.</summary>
    public string TimeZoneId { get; private init; } = "UTC";

    /// <summary>The zone the expression is read in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Parses a 5-field (minute hour day month weekday) or 6-field (seconds first) expression, or a macro such as
    /// <c>@daily</c>, in the zone named by an IANA or Windows id.</summary>
    /// <exception cref="ArgumentException">The expression is invalid or the zone unknown; the message names the value.</exception>
    public static CronSchedule Parse(string expression, string timeZoneId)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return new CronSchedule(expression, ParseExpression(expression), ResolveTimeZone(timeZoneId)) { TimeZoneId = timeZoneId };
    }

    /// <summary>Resolves an IANA (<c>Europe/Berlin</c>) or Windows (<c>W. Europe Standard Time</c>) zone id.</summary>
    /// <exception cref="ArgumentException">The id is empty or unknown; the message names it.</exception>
    public static TimeZoneInfo ResolveTimeZone(string timeZoneId)
    {
        if (string.IsNullOrWhiteSpace(timeZoneId))
        {
            throw new ArgumentException("The time zone id must not be empty: use an IANA id such as 'Europe/Berlin' or a Windows id such as 'W. Europe Standard Time'.", nameof(timeZoneId));
        }

        if (string.Equals(timeZoneId, "UTC", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            // On Linux and macOS with ICU, FindSystemTimeZoneById also converts Windows ids (and on Windows, IANA ids).
            return TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"Unknown time zone '{timeZoneId}': use an IANA id such as 'Europe/Berlin' or a Windows id such as 'W. Europe Standard Time'.", nameof(timeZoneId), ex);
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="afterUtc"/>, with the zone's offset at that instant;
    /// <see langword="null"/> when the expression never fires again (e.g. <c>0 0 30 2 *</c>).</summary>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset afterUtc) =>
        _expression.GetNextOccurrence(afterUtc, TimeZone, inclusive: false);

    /// <summary>Up to <paramref name="count"/> occurrences strictly after <paramref name="afterUtc"/>, in order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public IReadOnlyList<DateTimeOffset> GetNextOccurrences(DateTimeOffset afterUtc, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new List<DateTimeOffset>(Math.Min(count, 1024));
        var cursor = afterUtc;
        while (result.Count < count && GetNextOccurrence(cursor) is { } next)
        {
            result.Add(next);
            cursor = next;
        }

        return result;
    }

    /// <summary>The latest (at most <paramref name="max"/>) occurrences in (<paramref name="afterUtc"/>,
    /// <paramref name="untilUtc"/>], in ascending order. Cost grows with <paramref name="max"/>, not with the length of
    /// the range, so a long outage of an every-second schedule stays cheap.</summary>
    public IReadOnlyList<DateTimeOffset> GetLatestOccurrences(DateTimeOffset afterUtc, DateTimeOffset untilUtc, int max)
    {
        if (max <= 0 || untilUtc <= afterUtc)
        {
            return [];
        }

        // Look back over a window that doubles until it holds enough occurrences or reaches afterUtc. Occurrences are
        // always enumerated forward (the same maths that names occurrence keys), never with Cronos' reverse search, so
        // DST edge cases cannot make the two directions disagree.
        var window = TimeSpan.FromMinutes(1);
        while (true)
        {
            var windowStart = untilUtc - afterUtc <= window ? afterUtc : untilUtc - window;
            var latest = new Queue<DateTimeOffset>(Math.Min(max, 1024));
            var cursor = windowStart;
            while (GetNextOccurrence(cursor) is { } next && next <= untilUtc)
            {
                if (latest.Count == max)
                {
                    latest.Dequeue();
                }

                latest.Enqueue(next);
                cursor = next;
            }

            if (latest.Count == max || windowStart == afterUtc)
            {
                return [.. latest];
            }

            window = window < TimeSpan.FromDays(365 * 100) ? window * 2 : TimeSpan.MaxValue;
        }
    }

    /// <summary>Decides what fires now: occurrences in (<paramref name="afterUtc"/>, <paramref name="nowUtc"/>] no older
    /// than <paramref name="misfireThreshold"/> are on time and always fire (at most <paramref name="maxMisfires"/> of
    /// them); older ones are missed and follow <paramref name="policy"/>: <see cref="MisfirePolicy.FireOnce"/> fires the
    /// latest missed one, <see cref="MisfirePolicy.FireAll"/> the latest <paramref name="maxMisfires"/>,
    /// <see cref="MisfirePolicy.Skip"/> none.</summary>
    /// <returns>The occurrences to fire (ascending), the occurrence to record as the last one (the latest due, fired or
    /// skipped; <see langword="null"/> when none was due) and the next due time after now.</returns>
    public MisfirePlan PlanDue(DateTimeOffset afterUtc, DateTimeOffset nowUtc, MisfirePolicy policy, int maxMisfires, TimeSpan misfireThreshold)
    {
        var bound = Math.Max(1, maxMisfires);
        var onTimeFrom = nowUtc - misfireThreshold;
        var onTime = GetLatestOccurrences(afterUtc > onTimeFrom ? afterUtc : onTimeFrom, nowUtc, bound);

        var missedWanted = policy switch
        {
            MisfirePolicy.FireAll => bound,
            MisfirePolicy.Skip => 0,
            _ => 1,
        };

        // Skip still needs to know the latest missed occurrence, to record it as done.
        var missed = GetLatestOccurrences(afterUtc, onTimeFrom, Math.Max(1, missedWanted));
        DateTimeOffset? latestDue = onTime.Count > 0 ? onTime[^1] : missed.Count > 0 ? missed[^1] : null;

        var fire = new List<DateTimeOffset>(missedWanted + onTime.Count);
        if (missedWanted > 0)
        {
            fire.AddRange(missed);
        }

        fire.AddRange(onTime);
        return new MisfirePlan(fire, latestDue, GetNextOccurrence(nowUtc), missed.Count > 0);
    }

    /// <summary>Parses a Cronos expression: 6 fields means seconds first; 5 fields or a macro (<c>@daily</c>) is standard.</summary>
    /// <exception cref="ArgumentException">The expression is invalid; the message quotes it.</exception>
    internal static CronExpression ParseExpression(string expression)
    {
        var fields = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (1 or 5 or 6))
        {
            throw new ArgumentException(
                $"Invalid cron expression '{expression}': it has {fields} fields; use 5 (minute hour day-of-month month day-of-week) or 6 (second first), or a macro such as '@daily'.",
                nameof(expression));
        }

        try
        {
            return CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new ArgumentException($"Invalid cron expression '{expression}': {ex.Message}", nameof(expression), ex);
        }
    }
}
