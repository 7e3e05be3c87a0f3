using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Client;

/// <summary>Seeing jobs from code through <see cref="IJobClient"/>: list, count, await, typed payloads and results.</summary>
public sealed class JobClientQueryTests
{
    private sealed record Answer(int Value)
    {
        [System.Text.Json.Serialization.JsonPropertyName("answer")]
        public int Value { get; init; } = Value;
    }

    private static Task<RunnerHost> StartAsync() =>
        RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());

    [Fact]
    public async Task WaitForJobAsync_is_woken_by_a_local_outcome_without_the_clock_moving()
    {
        await using var host = await StartAsync();
        var probe = host.Services.GetRequiredService<Probe>();
        var id = await host.Client.EnqueueAsync(new Work("w", "block"));
        await probe.StartedGate("w").Task;
        var start = host.Time.GetUtcNow();

        var wait = host.Client.WaitForJobAsync(id).AsTask();
        Assert.False(wait.IsCompleted); // the job is still running
        probe.ReleaseGate("w").Open();
        var record = await wait.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobState.Succeeded, record.State);
        Assert.Equal(id, record.Id);
        Assert.Equal(start, host.Time.GetUtcNow()); // no recheck was needed: the engine's local event woke it
    }

    [Fact]
    public async Task WaitForJobAsync_sees_an_outcome_no_local_worker_reported_at_its_recheck()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("later"), new JobOptions { Delay = TimeSpan.FromDays(1) });
        var wait = host.Client.WaitForJobAsync(id).AsTask();

        // Written straight to the store, as another process would: nothing in this process signals it.
        Assert.Equal(CancelResult.Cancelled, await host.Store.CancelAsync(id, host.Time.GetUtcNow()));
        Assert.True(
            SpinWait.SpinUntil(() => { host.Time.Advance(TimeSpan.FromMilliseconds(250)); return wait.IsCompleted; }, TimeSpan.FromSeconds(30)),
            "the wait should re-read the store as the clock passes its recheck interval");

        Assert.Equal(JobState.Cancelled, (await wait).State);
    }

    [Fact]
    public async Task WaitForJobAsync_is_woken_by_this_clients_cancel_of_a_waiting_job_without_the_clock_moving()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("later"), new JobOptions { Delay = TimeSpan.FromDays(1) });
        var start = host.Time.GetUtcNow();
        var wait = host.Client.WaitForJobAsync(id).AsTask();

        Assert.Equal(CancelResult.Cancelled, await host.Client.CancelAsync(id));
        Assert.Equal(JobState.Cancelled, (await wait.WaitAsync(TimeSpan.FromSeconds(30))).State);
        Assert.Equal(start, host.Time.GetUtcNow()); // no recheck was needed
    }

    [Fact]
    public async Task WaitForJobAsync_of_an_unknown_job_names_it_and_a_cancelled_wait_throws()
    {
        await using var host = await StartAsync();
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => host.Client.WaitForJobAsync(new JobId(424242)).AsTask());
        Assert.Contains("424242", missing.Message, StringComparison.Ordinal);

        var id = await host.Client.EnqueueAsync(new Work("later"), new JobOptions { Delay = TimeSpan.FromDays(1) });
        using var cancel = new CancellationTokenSource();
        var wait = host.Client.WaitForJobAsync(id, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Typed_result_and_payload_are_read_with_the_runners_json_options()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Work("r", "progress"));

        var answer = await host.Client.WaitForResultAsync<Answer>(id).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new Answer(42), answer); // stored as {"answer":42} by the handler's anonymous type
        Assert.Equal(new Answer(42), await host.Client.GetResultAsync<Answer>(id));
        Assert.Equal(new Work("r", "progress"), await host.Client.GetPayloadAsync<Work>(id));

        var record = (await host.Client.GetAsync(id))!;
        Assert.True(record.HasResult());
        Assert.Equal(42, record.GetResult<System.Text.Json.JsonElement>().GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task Result_of_an_unfinished_or_failed_job_is_refused_naming_its_state()
    {
        await using var host = await StartAsync();
        var later = await host.Client.EnqueueAsync(new Work("later"), new JobOptions { Delay = TimeSpan.FromDays(1) });
        var notYet = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.GetResultAsync<Answer>(later).AsTask());
        Assert.Contains("Scheduled", notYet.Message, StringComparison.Ordinal);

        var failing = await host.Client.EnqueueAsync(new Work("t", "throw"), new JobOptions { MaxAttempts = 1 });
        var dead = await Assert.ThrowsAsync<InvalidOperationException>(
            () => host.Client.WaitForResultAsync<Answer>(failing).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("DeadLettered", dead.Message, StringComparison.Ordinal);
        Assert.Contains("boom t", dead.Message, StringComparison.Ordinal);

        var plain = await host.Client.EnqueueAsync(new Work("plain"));
        await host.Client.WaitForJobAsync(plain).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var none = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.GetResultAsync<Answer>(plain).AsTask());
        Assert.Contains("without a result", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_all_pages_through_every_match_and_count_takes_the_same_filters()
    {
        await using var host = await StartAsync();
        var delayed = new JobOptions { Delay = TimeSpan.FromDays(1), Tags = ["report"] };
        var ids = new List<JobId>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await host.Client.EnqueueAsync(new Work($"k{i}"), delayed));
        }

        await host.Client.EnqueueAsync(new Work("untagged"), new JobOptions { Delay = TimeSpan.FromDays(1) });

        var listed = new List<JobId>();
        await foreach (var record in host.Client.ListAllAsync(new JobQuery { Tag = "report", Limit = 3 }))
        {
            listed.Add(record.Id);
        }

        Assert.Equal(ids, listed);
        Assert.Equal(7, (await host.Client.CountAsync(new JobQuery { Tag = "report" })).Scheduled);
        Assert.Equal(8, (await host.Client.CountAsync()).Total);
        Assert.Equal(3, (await host.Client.ListAsync(new JobQuery { JobName = "work", Limit = 3 })).Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.Client.ListAsync(new JobQuery { Limit = 0 }).AsTask());
    }
}
