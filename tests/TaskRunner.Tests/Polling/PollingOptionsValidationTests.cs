namespace TaskRunner.Tests.Polling;

public sealed class PollingOptionsValidationTests
{
    public static TheoryData<string, Action<QueueOptions>, string, string> OutOfRange => new()
    {
        // Zero interval would spin.
        { "fixed interval zero", q => q.UseFixedInterval(o => o.Interval = TimeSpan.Zero), "FixedIntervalPollingOptions.Interval", "00:00:00" },
        // Above a day.
        { "fixed interval too long", q => q.UseFixedInterval(o => o.Interval = TimeSpan.FromDays(2)), "FixedIntervalPollingOptions.Interval", "2.00:00:00" },
        { "fixed batch zero", q => q.UseFixedInterval(o => o.BatchSize = 0), "FixedIntervalPollingOptions.BatchSize", "is 0" },
        { "fixed batch too big", q => q.UseFixedInterval(o => o.BatchSize = 1001), "FixedIntervalPollingOptions.BatchSize", "is 1001" },
        { "backoff min zero", q => q.UseIdleBackoff(o => o.MinDelay = TimeSpan.Zero), "IdleBackoffPollingOptions.MinDelay", "00:00:00" },
        // The cap below the minimum.
        { "backoff max below min", q => q.UseIdleBackoff(o => { o.MinDelay = TimeSpan.FromSeconds(5); o.MaxDelay = TimeSpan.FromSeconds(1); }), "IdleBackoffPollingOptions.MaxDelay", "00:00:01" },
        // A factor below 1 would shrink the wait while idle.
        { "backoff factor below one", q => q.UseIdleBackoff(o => o.Factor = 0.5), "IdleBackoffPollingOptions.Factor", "is 0.5" },
        // NaN must not slip through the comparisons.
        { "backoff factor NaN", q => q.UseIdleBackoff(o => o.Factor = double.NaN), "IdleBackoffPollingOptions.Factor", "NaN" },
        { "backoff jitter negative", q => q.UseIdleBackoff(o => o.Jitter = -0.1), "IdleBackoffPollingOptions.Jitter", "is -0.1" },
        { "backoff jitter above one", q => q.UseIdleBackoff(o => o.Jitter = 1.5), "IdleBackoffPollingOptions.Jitter", "is 1.5" },
        { "adaptive min zero", q => q.UseAdaptivePolling(o => o.MinDelay = TimeSpan.Zero), "AdaptivePollingOptions.MinDelay", "00:00:00" },
        { "adaptive max below min", q => q.UseAdaptivePolling(o => o.MaxDelay = TimeSpan.FromMilliseconds(10)), "AdaptivePollingOptions.MaxDelay", "00:00:00.01" },
        { "adaptive min batch zero", q => q.UseAdaptivePolling(o => o.MinBatchSize = 0), "AdaptivePollingOptions.MinBatchSize", "is 0" },
        { "adaptive max batch below min", q => q.UseAdaptivePolling(o => { o.MinBatchSize = 10; o.MaxBatchSize = 5; }), "AdaptivePollingOptions.MaxBatchSize", "is 5" },
        { "adaptive deep backlog zero", q => q.UseAdaptivePolling(o => o.DeepBacklog = 0), "AdaptivePollingOptions.DeepBacklog", "is 0" },
        // A window must stay open for some time.
        { "window duration zero", q => q.UseScheduledWindows(o => o.AddWindow("0 9 * * *", TimeSpan.Zero)), "ScheduledWindowPollingOptions.Windows[0].Duration", "00:00:00" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Out_of_range_options_fail_at_configuration_naming_option_value_and_range(
        string edgeCase, Action<QueueOptions> configure, string option, string value)
    {
        var queue = new QueueOptions("q");

        var ex = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => configure(queue));

        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
        Assert.Contains("must be between", ex.Message, StringComparison.Ordinal);

        // A rejected configuration leaves the queue's strategy unset.
        Assert.True(queue.PollingStrategyFactory is null, edgeCase);
    }

    [Theory]
    // Minute 61 does not exist.
    [InlineData("61 * * * *", "ScheduledWindowPollingOptions.Windows[0].Cron", "'61 * * * *'")]
    // Seven fields: neither the 5- nor the 6-field format.
    [InlineData("0 0 0 9 * * *", "ScheduledWindowPollingOptions.Windows[0].Cron", "'0 0 0 9 * * *'")]
    [InlineData("not a cron", "ScheduledWindowPollingOptions.Windows[0].Cron", "'not a cron'")]
    // Empty expression.
    [InlineData("", "ScheduledWindowPollingOptions.Windows[0].Cron", "is empty")]
    public void Invalid_cron_fails_at_configuration_naming_the_expression(string cron, string option, string quoted)
    {
        var ex = Assert.Throws<ArgumentException>(
            () => new QueueOptions("q").UseScheduledWindows(o => o.AddWindow(cron, TimeSpan.FromHours(1))));

        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
        Assert.Contains(quoted, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("Central Europe Daylight Time")]
    public void Unknown_time_zone_fails_at_configuration_naming_the_id(string zone)
    {
        var ex = Assert.Throws<ArgumentException>(() => new QueueOptions("q").UseScheduledWindows(o =>
        {
            o.TimeZoneId = zone;
            o.AddWindow("0 9 * * *", TimeSpan.FromHours(1));
        }));

        Assert.Contains("ScheduledWindowPollingOptions.TimeZoneId", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{zone}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scheduled_windows_need_at_least_one_window()
    {
        var ex = Assert.Throws<ArgumentException>(() => new QueueOptions("q").UseScheduledWindows(_ => { }));

        Assert.Contains("ScheduledWindowPollingOptions.Windows has 0 windows", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_options_are_valid()
    {
        new FixedIntervalPollingOptions().Validate();
        new IdleBackoffPollingOptions().Validate();
        new AdaptivePollingOptions().Validate();
        new ScheduledWindowPollingOptions().AddWindow("0 9 * * 1-5", TimeSpan.FromHours(8)).Validate();
    }
}
