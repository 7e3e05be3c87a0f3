using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Testing;

namespace TaskRunner.Tests.Testing;

/// <summary>Running a host's jobs deterministically on a fake clock with <see cref="TaskRunnerTestHost"/>.</summary>
public sealed class TaskRunnerTestHostTests
{
    private sealed record Email(string To);

    private sealed record Flaky(string Key, int FailTimes);

    private sealed class Outbox
    {
        public ConcurrentQueue<(string To, DateTimeOffset At)> Sent { get; } = new();

        public ConcurrentDictionary<string, int> Attempts { get; } = new();
    }

    private sealed class EmailHandler(Outbox outbox, TimeProvider time) : IJobHandler<Email>
    {
        public ValueTask ExecuteAsync(Email payload, JobContext context)
        {
            outbox.Sent.Enqueue((payload.To, time.GetUtcNow()));
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FlakyHandler(Outbox outbox) : IJobHandler<Flaky>
    {
        public ValueTask ExecuteAsync(Flaky payload, JobContext context) =>
            outbox.Attempts.AddOrUpdate(payload.Key, 1, (_, n) => n + 1) <= payload.FailTimes
                ? throw new InvalidOperationException($"attempt {context.Attempt} of {payload.Key} fails")
                : ValueTask.CompletedTask;
    }

    private static Task<TaskRunnerTestHost> StartAsync() =>
        TaskRunnerTestHost.StartAsync(
            b =>
            {
                b.AddJob<EmailHandler, Email>("email");
                b.AddJob<FlakyHandler, Flaky>("flaky");
            },
            s => s.AddSingleton<Outbox>());

    [Fact]
    public async Task Run_until_idle_runs_what_is_due_and_leaves_delayed_jobs_for_the_clock()
    {
        await using var host = await StartAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await host.Client.EnqueueAsync(new Email("now@x"));
        var later = await host.Client.EnqueueAsync(new Email("later@x"), new JobOptions { Delay = TimeSpan.FromMinutes(5) });

        await host.RunUntilIdleAsync();
        Assert.Equal(["now@x"], outbox.Sent.Select(s => s.To));
        Assert.Equal(JobState.Scheduled, (await host.Client.GetAsync(later))!.State);

        await host.AdvanceAsync(TimeSpan.FromMinutes(10));
        Assert.Equal(["now@x", "later@x"], outbox.Sent.Select(s => s.To));
        Assert.Equal(TaskRunnerTestHost.DefaultStart.AddMinutes(5), outbox.Sent.Last().At); // ran at its due time, not at the end of the move
        Assert.Equal(TaskRunnerTestHost.DefaultStart.AddMinutes(10), host.Time.GetUtcNow());
    }

    [Fact]
    public async Task Advance_steps_through_retries_scheduled_by_the_runs_on_the_way()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Flaky("f", FailTimes: 2), new JobOptions { MaxAttempts = 5 });

        await host.RunUntilIdleAsync();
        Assert.Equal(JobState.Failed, (await host.Client.GetAsync(id))!.State); // waiting for its first retry

        await host.AdvanceAsync(TimeSpan.FromMinutes(1)); // retries at ~2 s and ~4 s later both fall inside
        var record = await host.Client.GetAsync(id);
        Assert.Equal(JobState.Succeeded, record!.State);
        Assert.Equal(3, record.Attempts);
    }

    [Fact]
    public async Task Enqueued_job_assertions_match_payloads_and_name_what_is_there_when_they_fail()
    {
        await using var host = await StartAsync();
        await host.Client.EnqueueAsync(new Email("a@x"), new JobOptions { Delay = TimeSpan.FromHours(1) });
        await host.Client.EnqueueAsync(new Email("b@x"), new JobOptions { Delay = TimeSpan.FromHours(1) });

        var job = await host.AssertEnqueuedAsync<Email>(e => e.To == "b@x");
        Assert.Equal("email", job.Name);
        await host.AssertNotEnqueuedAsync<Flaky>();
        Assert.Equal(["a@x", "b@x"], (await host.GetJobsAsync<Email>()).Select(j => j.Payload.To));

        var missing = await Assert.ThrowsAsync<TaskRunnerAssertionException>(() => host.AssertEnqueuedAsync<Email>(e => e.To == "c@x"));
        Assert.Contains("there are 2 of that type", missing.Message, StringComparison.Ordinal);
        Assert.Contains("'email' in queue 'default': Scheduled", missing.Message, StringComparison.Ordinal);
        var present = await Assert.ThrowsAsync<TaskRunnerAssertionException>(() => host.AssertNotEnqueuedAsync<Email>());
        Assert.Contains("found 2", present.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_until_idle_names_a_job_no_worker_of_the_host_serves()
    {
        await using var host = await TaskRunnerTestHost.StartAsync(
            b => b.AddJob<EmailHandler, Email>("email", o => o.Queue = "mail"), // the host serves only "default"
            s => s.AddSingleton<Outbox>());
        var stuck = await host.Client.EnqueueAsync(new Email("x@x"));

        host.IdleTimeout = TimeSpan.FromMilliseconds(300); // real time: the job can never run, so fail fast
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => host.RunUntilIdleAsync());
        Assert.Contains($"job {stuck} 'email' in queue 'mail': Pending", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_the_test_built_is_driven_when_it_reads_the_same_fake_clock()
    {
        var time = new FakeTimeProvider(TaskRunnerTestHost.DefaultStart);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TimeProvider>(time).AddSingleton<Outbox>();
        builder.Services.AddTaskRunnerWorker(b => b.AddJob<EmailHandler, Email>("email"));
        using var app = builder.Build();
        await app.StartAsync();
        try
        {
            var host = TaskRunnerTestHost.For(app.Services, time);
            var id = await host.Client.EnqueueAsync(new Email("own@x"));
            await host.RunUntilIdleAsync();
            Assert.Equal(JobState.Succeeded, (await host.WaitForJobAsync(id)).State);

            var other = Assert.Throws<InvalidOperationException>(() => TaskRunnerTestHost.For(app.Services, new FakeTimeProvider()));
            Assert.Contains("AddSingleton<TimeProvider>", other.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
