using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Scheduling;

public sealed class RecurringJobsTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 10, 0, 30, TimeSpan.Zero);

    [Fact]
    public async Task List_and_get_show_the_next_occurrence_and_none_while_paused()
    {
        var (jobs, _, _) = NewJobs();
        await jobs.AddOrUpdateAsync("b", "0 14 * * *", new ReportPayload("eu"), o => o.TimeZoneId = "Europe/Berlin");
        await jobs.AddOrUpdateAsync("a", "*/15 * * * *", new ReportPayload("us"));
        await jobs.PauseAsync("a");

        var list = await jobs.ListAsync();

        Assert.Equal(["a", "b"], list.Select(i => i.Schedule.Name));
        Assert.Null(list[0].NextOccurrence);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 14, 0, 0, TimeSpan.FromHours(2)), list[1].NextOccurrence);
        Assert.Equal(list[1], await jobs.GetAsync("b"));
        Assert.Null(await jobs.GetAsync("missing"));
    }

    [Fact]
    public async Task Preview_lists_the_next_occurrences_of_a_schedule_or_an_expression()
    {
        var (jobs, _, _) = NewJobs();
        await jobs.AddOrUpdateAsync("report", "*/15 * * * *", new ReportPayload("eu"));

        var ofSchedule = await jobs.PreviewAsync("report", 3);
        var ofExpression = jobs.Preview("30 2 * * *", "America/New_York", 2, new DateTimeOffset(2026, 3, 7, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal([Start.AddSeconds(870), Start.AddSeconds(1770), Start.AddSeconds(2670)], ofSchedule);
        Assert.Empty(await jobs.PreviewAsync("missing", 3));
        // The gap day's 02:30 is shown as it will fire: 03:00 EDT.
        Assert.Equal([new DateTimeOffset(2026, 3, 8, 3, 0, 0, TimeSpan.FromHours(-4)), new DateTimeOffset(2026, 3, 9, 2, 30, 0, TimeSpan.FromHours(-4))], ofExpression);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await jobs.PreviewAsync("report", 10_001));
    }

    [Fact]
    public async Task Re_adding_an_identical_definition_writes_nothing_and_an_update_keeps_the_paused_state()
    {
        var (jobs, store, _) = NewJobs();
        var first = await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        var version = await store.GetVersionAsync();

        var again = await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"));
        Assert.Equal(version, await store.GetVersionAsync());
        Assert.Equal(first, again);

        await jobs.PauseAsync("report");
        var updated = await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("us"));
        Assert.True(updated.Paused);
        // Payloads are written with the engine's JSON settings (web defaults: camelCase), the ones handlers read them with.
        Assert.Equal("""{"region":"us"}""", System.Text.Encoding.UTF8.GetString(updated.Payload.Span));
    }

    [Theory]
    // The bad expression is named.
    [InlineData("61 * * * *", "UTC", "'61 * * * *'")]
    // The unknown zone is named.
    [InlineData("* * * * *", "Europe/Atlantis", "'Europe/Atlantis'")]
    public async Task Bad_definition_fails_naming_the_schedule_and_the_value(string cron, string zone, string expected)
    {
        var (jobs, store, _) = NewJobs();

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await jobs.AddOrUpdateAsync("report", cron, new ReportPayload("eu"), o => o.TimeZoneId = zone));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'report'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await store.ListAsync());
    }

    [Theory]
    // Below the range.
    [InlineData(0)]
    // Above the range.
    [InlineData(10_001)]
    public async Task Max_misfires_out_of_range_fails_naming_option_and_value(int value)
    {
        var (jobs, _, _) = NewJobs();

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await jobs.AddOrUpdateAsync("report", "* * * * *", new ReportPayload("eu"), o => o.MaxMisfires = value));

        Assert.Contains($"MaxMisfires of schedule 'report' is {value}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("between 1 and 10000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_registrations_are_stored_at_start_and_code_wins_over_a_changed_stored_definition()
    {
        var time = new FakeTimeProvider(Start);
        var store = new InMemoryScheduleStore();
        var submitter = new RecordingSubmitter();

        // What a previous deployment stored, since paused and fired at run time.
        var earlier = NewJobs(store, time, submitter, []);
        await earlier.AddOrUpdateAsync("report", "0 * * * *", new ReportPayload("eu"));
        await store.TryAdvanceAsync("report", null, Start.AddMinutes(-0.5));
        await earlier.PauseAsync("report");

        var registrations = new[]
        {
            new RecurringJobRegistration("report", "*/5 * * * *", typeof(ReportPayload), new ReportPayload("eu"), new RecurringJobOptions()),
            new RecurringJobRegistration("nightly", "0 2 * * *", typeof(ReportPayload), new ReportPayload("us"), new RecurringJobOptions { TimeZoneId = "Europe/Berlin", JobName = "nightly-job" }),
            // The same registration twice (e.g. two modules) is harmless.
            new RecurringJobRegistration("nightly", "0 2 * * *", typeof(ReportPayload), new ReportPayload("us"), new RecurringJobOptions { TimeZoneId = "Europe/Berlin", JobName = "nightly-job" }),
        };
        await NewJobs(store, time, submitter, registrations).ApplyCodeRegistrationsAsync(CancellationToken.None);

        var report = (await store.GetAsync("report"))!;
        Assert.Equal("*/5 * * * *", report.Cron);
        Assert.True(report.Paused);
        Assert.Equal(Start.AddMinutes(-0.5), report.LastOccurrence);
        var nightly = (await store.GetAsync("nightly"))!;
        Assert.Equal("nightly-job", nightly.JobName);
        Assert.Equal("Europe/Berlin", nightly.TimeZoneId);

        // Starting again with the same code writes nothing.
        var version = await store.GetVersionAsync();
        await NewJobs(store, time, submitter, registrations).ApplyCodeRegistrationsAsync(CancellationToken.None);
        Assert.Equal(version, await store.GetVersionAsync());
    }

    [Fact]
    public async Task Same_name_registered_in_code_with_different_definitions_fails_at_start_naming_it()
    {
        var time = new FakeTimeProvider(Start);
        var store = new InMemoryScheduleStore();
        var registrations = new[]
        {
            new RecurringJobRegistration("report", "0 * * * *", typeof(ReportPayload), new ReportPayload("eu"), new RecurringJobOptions()),
            new RecurringJobRegistration("report", "0 * * * *", typeof(ReportPayload), new ReportPayload("us"), new RecurringJobOptions()),
        };
        await using var node = new SchedulerNode(store, new RecordingSubmitter(), time, registrations: registrations);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(node.StartAsync);

        Assert.Contains("'report'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("registered twice with different definitions", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await store.ListAsync());
    }

    [Theory]
    // An invalid expression fails when registered, naming it.
    [InlineData("0 25 * * *", "UTC", "'0 25 * * *'")]
    // An unknown zone fails when registered, naming it.
    [InlineData("0 2 * * *", "Nowhere/Special", "'Nowhere/Special'")]
    public void Add_recurring_fails_at_registration_on_bad_definitions(string cron, string zone, string expected)
    {
        var builder = new TestBuilder(new ServiceCollection());

        var ex = Assert.Throws<ArgumentException>(() => builder.AddRecurring("nightly", cron, new ReportPayload("eu"), o => o.TimeZoneId = zone));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'nightly'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTaskRunnerWorker_registers_scheduling_after_the_runner_with_defaults_the_host_can_replace()
    {
        var services = new ServiceCollection();
        var hostStore = new InMemoryScheduleStore();
        services.AddSingleton<IScheduleStore>(hostStore);
        services.AddLogging();
        services.AddTaskRunnerWorker(b => b
            .AddJob<ReportHandler, ReportPayload>("report")
            .AddRecurring("nightly", "0 2 * * *", new ReportPayload("eu")));

        using var provider = services.BuildServiceProvider();

        Assert.Same(hostStore, provider.GetRequiredService<IScheduleStore>());
        Assert.IsType<RecurringJobs>(provider.GetRequiredService<IRecurringJobs>());
        Assert.Single(provider.GetServices<RecurringJobRegistration>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.Equal("report", provider.GetRequiredService<IPayloadJobNameResolver>().Resolve(typeof(ReportPayload)));

        // The scheduler starts after the runner, whose start prepares the store the scheduler writes code schedules to.
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Single(hosted.OfType<RecurringScheduler>());
        Assert.True(hosted.FindIndex(h => h is JobRunner) < hosted.FindIndex(h => h is RecurringScheduler));
    }

    private sealed class ReportHandler : IJobHandler<ReportPayload>
    {
        public ValueTask ExecuteAsync(ReportPayload payload, JobContext context) => default;
    }

    [Theory]
    // Store check interval below 100 ms.
    [InlineData(50, 60, "SchedulerOptions.StoreCheckInterval is 00:00:00.0500000")]
    // Store check interval above 5 minutes.
    [InlineData(301_000, 60, "SchedulerOptions.StoreCheckInterval is 00:05:01")]
    // Misfire threshold below 1 second.
    [InlineData(2000, 0, "SchedulerOptions.MisfireThreshold is 00:00:00")]
    // Misfire threshold above 1 day.
    [InlineData(2000, 86_401, "SchedulerOptions.MisfireThreshold is 1.00:00:01")]
    public void Scheduler_options_out_of_range_fail_naming_option_value_and_range(int checkMs, int thresholdSeconds, string expected)
    {
        var options = new SchedulerOptions { StoreCheckInterval = TimeSpan.FromMilliseconds(checkMs), MisfireThreshold = TimeSpan.FromSeconds(thresholdSeconds) };

        var result = new SchedulerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("must be between", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_scheduler_options_are_valid()
    {
        Assert.True(new SchedulerOptionsValidator().Validate(null, new SchedulerOptions()).Succeeded);
    }

    private static (RecurringJobs Jobs, InMemoryScheduleStore Store, RecordingSubmitter Submitter) NewJobs()
    {
        var store = new InMemoryScheduleStore();
        var submitter = new RecordingSubmitter();
        return (NewJobs(store, new FakeTimeProvider(Start), submitter, []), store, submitter);
    }

    private static RecurringJobs NewJobs(IScheduleStore store, TimeProvider time, IJobSubmitter submitter, IEnumerable<RecurringJobRegistration> registrations) =>
        new(store, submitter, new PayloadTypeNameResolver(), new SchedulerWakeup(), time, Options.Create(new TaskRunnerOptions()), registrations, NullLogger<RecurringJobs>.Instance);

    private sealed class TestBuilder(IServiceCollection services) : ITaskRunnerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
