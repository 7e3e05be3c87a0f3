using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

public sealed class EngineTests
{
    private static Task<RunnerHost> StartAsync(Action<ITaskRunnerBuilder>? configure = null, Action<IServiceCollection>? services = null) =>
        RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                configure?.Invoke(b);
            },
            services: s =>
            {
                s.AddSingleton<Probe>();
                services?.Invoke(s);
            });

    [Fact]
    public async Task An_enqueued_job_runs_once_and_is_stored_as_succeeded()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("a"));

        await host.Events.WaitFor(JobEventKind.Succeeded, id);

        var job = await host.Client.GetAsync(id);
        Assert.Equal(JobState.Succeeded, job!.State);
        Assert.Equal(1, job.Attempts);
        Assert.Equal("work", job.Name);
        Assert.Single(host.Services.GetRequiredService<Probe>().Runs);
        Assert.Equal(TaskRunnerState.Running, host.Monitor.State);
    }

    [Fact]
    public async Task A_handler_that_throws_is_retried_with_growing_delays_then_dead_lettered()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("t", "throw"), new JobOptions { MaxAttempts = 3 });

        var first = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 1);
        host.Time.SetUtcNow(first.RetryAt!.Value);
        host.Wake();
        var second = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 2);
        host.Time.SetUtcNow(second.RetryAt!.Value);
        host.Wake();
        var dead = await host.Events.WaitFor(JobEventKind.DeadLettered, id, attempt: 3);

        // Base 2 s doubling with ±20 % jitter: [1.6, 2.4] s, then [3.2, 4.8] s — strictly growing.
        var delay1 = first.RetryAt.Value - first.Timestamp;
        var delay2 = second.RetryAt.Value - second.Timestamp;
        Assert.InRange(delay1, TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(2.4));
        Assert.InRange(delay2, TimeSpan.FromSeconds(3.2), TimeSpan.FromSeconds(4.8));
        Assert.Equal(typeof(InvalidOperationException).FullName, dead.Error!.Type);

        var job = await host.Client.GetAsync(id);
        Assert.Equal(JobState.DeadLettered, job!.State);
        Assert.Equal(3, job.Attempts);
        Assert.Contains("boom t", job.LastError!.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(WorkHandler), job.LastError.StackTrace, StringComparison.Ordinal);
        Assert.Equal(id, Assert.Single(await host.Client.ListDeadLettersAsync()).Id);
    }

    [Fact]
    public async Task A_job_whose_retry_is_not_yet_due_is_not_run_early()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("early", "throw"), new JobOptions { MaxAttempts = 2 });
        var failed = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 1);

        host.Time.SetUtcNow(failed.RetryAt!.Value - TimeSpan.FromMilliseconds(1));
        Assert.Empty(await host.Store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 10, Owner = "probe", Now = host.Time.GetUtcNow(), LeaseDuration = TimeSpan.FromSeconds(30) }));
        Assert.Equal(JobState.Failed, (await host.Client.GetAsync(id))!.State);
    }

    [Fact]
    public async Task A_job_with_no_registered_handler_is_left_pending_for_a_worker_that_has_one()
    {
        await using var host = await StartAsync();
        var stranger = (await host.Store.EnqueueAsync([new NewJob { Name = "newer-build-only", Priority = 5, MaxAttempts = 5 }], host.Time.GetUtcNow()))[0].Id;

        // Enqueued after the stranger, and below it in claim order: by the time it ran, a claim had passed the stranger.
        var next = await host.Client.EnqueueAsync(new Work("after"));
        await host.Events.WaitFor(JobEventKind.Succeeded, next);

        var left = (await host.Client.GetAsync(stranger))!;
        Assert.Equal(JobState.Pending, left.State);
        Assert.Equal(0, left.Attempts);
        Assert.Null(left.LastError);
        Assert.Equal(TaskRunnerState.Running, host.Monitor.State);
    }

    [Fact]
    public async Task With_claim_any_job_name_a_job_with_no_registered_handler_is_dead_lettered_and_the_runner_keeps_going()
    {
        await using var host = await StartAsync(b => b.Configure(o => o.ClaimAnyJobName = true));
        var stranger = (await host.Store.EnqueueAsync([new NewJob { Name = "renamed-away", MaxAttempts = 5 }], host.Time.GetUtcNow()))[0].Id;
        host.Wake();

        var dead = await host.Events.WaitFor(JobEventKind.DeadLettered, stranger);
        Assert.Equal("HandlerNotRegistered", dead.Error!.Type);
        Assert.Contains("renamed-away", dead.Error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await host.Client.GetAsync(stranger))!.Attempts); // not retried

        var next = await host.Client.EnqueueAsync(new Work("after"));
        await host.Events.WaitFor(JobEventKind.Succeeded, next);
        Assert.Equal(TaskRunnerState.Running, host.Monitor.State);
    }

    [Fact]
    public async Task A_job_whose_payload_cannot_be_read_is_dead_lettered_and_the_runner_keeps_going()
    {
        await using var host = await StartAsync();
        var garbled = (await host.Store.EnqueueAsync([new NewJob { Name = "work", Payload = Encoding.UTF8.GetBytes("{not json"), MaxAttempts = 5 }], host.Time.GetUtcNow()))[0].Id;
        host.Wake();

        var dead = await host.Events.WaitFor(JobEventKind.DeadLettered, garbled);
        Assert.Equal("PayloadUnreadable", dead.Error!.Type);
        Assert.Contains(typeof(Work).FullName!, dead.Error.Message, StringComparison.Ordinal);

        var next = await host.Client.EnqueueAsync(new Work("after"));
        await host.Events.WaitFor(JobEventKind.Succeeded, next);
    }

    [Fact]
    public async Task A_unique_key_returns_the_active_job_and_frees_up_once_it_finished()
    {
        await using var host = await StartAsync();
        var probe = host.Services.GetRequiredService<Probe>();
        var first = await host.Client.EnqueueAsync(new Work("u1", "block"), new JobOptions { UniqueKey = "report-42" });
        await probe.StartedGate("u1").Task;

        var second = await host.Client.EnqueueAsync(new Work("u2"), new JobOptions { UniqueKey = "report-42" });
        Assert.Equal(first, second);

        probe.ReleaseGate("u1").Open();
        await host.Events.WaitFor(JobEventKind.Succeeded, first);
        var third = await host.Client.EnqueueAsync(new Work("u3"), new JobOptions { UniqueKey = "report-42" });
        Assert.NotEqual(first, third);
    }

    [Fact]
    public async Task A_concurrency_key_never_lets_two_jobs_with_the_same_key_run_at_once()
    {
        await using var host = await StartAsync(b => b.AddQueue("default", q => q.Concurrency = 8));
        var probe = host.Services.GetRequiredService<Probe>();
        var keys = Enumerable.Range(0, 5).Select(i => $"c{i}").ToArray();
        var ids = await host.Client.EnqueueManyAsync(keys.Select(k => new Work(k, "block")), new JobOptions { ConcurrencyKey = "tenant-7" });

        // Same priority and run-at: they run in id order, one at a time.
        foreach (var key in keys)
        {
            await probe.StartedGate(key).Task;
            Assert.Equal(1, (await host.Store.CountAsync("default")).Running);

            // A worker elsewhere gets none of them while the key is held.
            Assert.Empty(await host.Store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 10, Owner = "elsewhere", Now = host.Time.GetUtcNow(), LeaseDuration = TimeSpan.FromSeconds(30) }));
            probe.ReleaseGate(key).Open();
        }

        await host.Events.WaitFor(JobEventKind.Succeeded, ids[^1]);
        Assert.Equal(1, probe.MaxRunning);
        foreach (var id in ids)
        {
            Assert.Equal(JobState.Succeeded, (await host.Client.GetAsync(id))!.State);
        }
    }

    [Fact]
    public async Task Shutdown_hands_a_running_job_back_as_pending_without_counting_the_attempt()
    {
        var host = await StartAsync(b => b.Configure(o => o.ShutdownTimeout = TimeSpan.Zero));
        var probe = host.Services.GetRequiredService<Probe>();
        var store = host.Store;
        var monitor = host.Monitor;
        var id = await host.Client.EnqueueAsync(new Work("s", "block-cancellable"), new JobOptions { MaxAttempts = 1 });
        await probe.StartedGate("s").Task;
        Assert.Equal(1, (await store.GetAsync(id))!.Attempts);

        await host.DisposeAsync();

        var job = await store.GetAsync(id);
        Assert.Equal(JobState.Pending, job!.State);
        Assert.Equal(0, job.Attempts);
        Assert.True(probe.TokenFiredGate("s").IsOpen);
        Assert.Equal(TaskRunnerState.Stopped, monitor.State);
    }

    [Fact]
    public async Task Shutdown_does_not_hang_on_a_handler_that_ignores_its_token_and_the_job_keeps_its_lease_for_recovery()
    {
        var host = await StartAsync(b => b.Configure(o => o.ShutdownTimeout = TimeSpan.Zero));
        var probe = host.Services.GetRequiredService<Probe>();
        var store = host.Store;
        var id = await host.Client.EnqueueAsync(new Work("stubborn", "block"));
        await probe.StartedGate("stubborn").Task;

        using var hostGivesUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await host.Host.StopAsync(hostGivesUp.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Running, (await store.GetAsync(id))!.State); // recovered once its lease expires
        Assert.True(probe.TokenFiredGate("stubborn").IsOpen);
        probe.ReleaseGate("stubborn").Open();
        host.Host.Dispose();
    }

    [Fact]
    public async Task Shutdown_lets_a_running_job_finish_within_the_timeout()
    {
        var host = await StartAsync(b => b.Configure(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5)));
        var probe = host.Services.GetRequiredService<Probe>();
        var store = host.Store;
        var id = await host.Client.EnqueueAsync(new Work("f", "block"));
        await probe.StartedGate("f").Task;

        var stopping = host.DisposeAsync().AsTask();
        Assert.False(stopping.IsCompleted);
        probe.ReleaseGate("f").Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Succeeded, (await store.GetAsync(id))!.State);
        Assert.False(probe.TokenFiredGate("f").IsOpen);
    }

    [Fact]
    public async Task Cancelling_a_running_job_fires_its_token_at_the_next_heartbeat()
    {
        await using var host = await StartAsync(b => b.Configure(o => o.HeartbeatInterval = TimeSpan.FromSeconds(5)));
        var probe = host.Services.GetRequiredService<Probe>();
        var id = await host.Client.EnqueueAsync(new Work("c", "block-cancellable"));
        await probe.StartedGate("c").Task;

        Assert.Equal(CancelResult.CancellationRequested, await host.Client.CancelAsync(id));
        host.Time.Advance(TimeSpan.FromSeconds(5));

        await probe.TokenFiredGate("c").Task;
        await host.Events.WaitFor(JobEventKind.Cancelled, id);
        Assert.Equal(JobState.Cancelled, (await host.Client.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Cancelling_a_pending_job_means_it_never_runs()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("later"), new JobOptions { Delay = TimeSpan.FromMinutes(1) });

        Assert.Equal(CancelResult.Cancelled, await host.Client.CancelAsync(id));
        host.Time.Advance(TimeSpan.FromMinutes(2));
        host.Wake();
        var marker = await host.Client.EnqueueAsync(new Work("marker"));
        await host.Events.WaitFor(JobEventKind.Succeeded, marker);

        Assert.Equal(JobState.Cancelled, (await host.Client.GetAsync(id))!.State);
        Assert.DoesNotContain(host.Services.GetRequiredService<Probe>().Runs, r => r.Key == "later");
    }

    [Fact]
    public async Task A_handler_that_hangs_is_cancelled_at_its_timeout_and_retried()
    {
        await using var host = await StartAsync();
        var probe = host.Services.GetRequiredService<Probe>();
        var id = await host.Client.EnqueueAsync(new Work("h", "block-cancellable"), new JobOptions { Timeout = TimeSpan.FromSeconds(3), MaxAttempts = 2 });
        await probe.StartedGate("h").Task;

        host.Time.Advance(TimeSpan.FromSeconds(3));

        var failed = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 1);
        Assert.Equal("Timeout", failed.Error!.Type);
        Assert.Contains("00:00:03", failed.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_and_result_are_stored_and_readable()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("p", "progress"));

        var progress = await host.Events.WaitFor(JobEventKind.Progress, id);
        await host.Events.WaitFor(JobEventKind.Succeeded, id);

        Assert.Equal(50, progress.ProgressPercent);
        var job = await host.Client.GetAsync(id);
        Assert.Equal(50, job!.ProgressPercent);
        Assert.Equal("half way", job.ProgressMessage);
        Assert.Equal("{\"answer\":42}", Encoding.UTF8.GetString(job.Result!.Value.Span));
    }

    [Fact]
    public async Task An_invalid_option_fails_the_start_with_a_message_naming_it()
    {
        using var host = RunnerHost.Create(b => b.Configure(o => o.LeaseDuration = TimeSpan.Zero)).Host;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("TaskRunnerOptions.LeaseDuration", error.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:00", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 00:00:01 and 01:00:00", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bad Queue")] // upper case and space
    [InlineData("")] // empty
    public async Task An_invalid_queue_name_is_rejected_at_enqueue_naming_the_value(string queue)
    {
        await using var host = await StartAsync();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Client.EnqueueAsync(new Work("q"), new JobOptions { Queue = queue }).AsTask());
        Assert.Contains($"'{queue}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("lowercase letters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_payload_is_rejected_at_enqueue_naming_size_and_limit()
    {
        await using var host = await StartAsync(b => b.Configure(o => o.MaxPayloadBytes = 100));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Client.EnqueueAsync(new Work(new string('x', 200))).AsTask());
        Assert.Contains("MaxPayloadBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("100", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await host.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task A_batch_reports_counts_and_runs_its_continuation_once_all_have_finished()
    {
        await using var host = await StartAsync();
        var batch = await host.Client.EnqueueBatchAsync(
            Enumerable.Range(0, 10).Select(i => new Work($"shard-{i}")),
            continuation: JobContinuation.For(new Work("continuation")));

        var status = await host.Client.WaitForBatchAsync(batch);
        Assert.Equal(10, status.Counts.Succeeded);
        Assert.True(status.IsFinished);
        var continuation = Assert.IsType<JobId>(status.ContinuationId);
        await host.Events.WaitFor(JobEventKind.Succeeded, continuation);
        var probe = host.Services.GetRequiredService<Probe>();
        Assert.Single(probe.Runs, r => r.Key == "continuation");
    }
}
