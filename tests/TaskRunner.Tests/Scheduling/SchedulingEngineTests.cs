using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Scheduling;

/// <summary>The scheduler inside a running host: delayed jobs, retries and recurring schedules fire on the fake clock
/// with no explicit wake-up from the test.</summary>
public sealed class SchedulingEngineTests
{
    private static Task<RunnerHost> StartAsync(Action<ITaskRunnerBuilder>? configure = null) =>
        RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                configure?.Invoke(b);
            },
            services: s => s.AddSingleton<Probe>());

    [Fact]
    public async Task A_delayed_job_runs_when_its_time_comes_and_not_before()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("delayed"), new JobOptions { Delay = TimeSpan.FromSeconds(5) });
        Assert.Equal(JobState.Scheduled, (await host.Client.GetAsync(id))!.State);

        host.Time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.Equal(JobState.Scheduled, (await host.Client.GetAsync(id))!.State);
        host.Time.Advance(TimeSpan.FromMilliseconds(1));

        var started = await host.Events.WaitFor(JobEventKind.Started, id);
        Assert.Equal(host.Time.GetUtcNow(), started.Timestamp); // on time: no poll interval in between
    }

    [Fact]
    public async Task A_failed_job_is_retried_at_its_retry_time_by_the_scheduler_alone()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("retry", "throw"), new JobOptions { MaxAttempts = 2 });
        var failed = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 1);

        host.Time.SetUtcNow(failed.RetryAt!.Value);

        var second = await host.Events.WaitFor(JobEventKind.Started, id, attempt: 2);
        Assert.Equal(failed.RetryAt.Value, second.Timestamp);
    }

    [Fact]
    public async Task A_recurring_job_registered_in_code_runs_its_handler_once_per_occurrence()
    {
        await using var host = await StartAsync(b => b.AddRecurring("minutely", "* * * * *", new Work("cron")));
        var probe = host.Services.GetRequiredService<Probe>();

        for (var minute = 1; minute <= 3; minute++)
        {
            host.Time.Advance(TimeSpan.FromMinutes(1));
            await host.Events.WaitFor(e => e.Kind == JobEventKind.Succeeded && probe.Runs.Count(r => r.Key == "cron") == minute);
        }

        Assert.Equal(3, probe.Runs.Count(r => r.Key == "cron"));
        var jobs = await host.Store.ListAsync(new JobQuery { State = JobState.Succeeded });
        Assert.Equal(3, jobs.Select(j => j.IdempotencyKey).Distinct().Count());
        Assert.All(jobs, j => Assert.StartsWith("schedule:minutely:", j.IdempotencyKey, StringComparison.Ordinal));
    }
}
