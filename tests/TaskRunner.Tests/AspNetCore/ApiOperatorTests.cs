using System.Net;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.AspNetCore;
using TaskRunner.Tests.Support;
using static TaskRunner.Tests.AspNetCore.ApiCalls;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>The operators' endpoints of <c>MapTaskRunnerApi</c> the dashboard uses: throughput per time bucket (closed
/// buckets cached) and dead letters in bulk, on the in-process server over a real SQLite file.</summary>
public sealed class ApiOperatorTests
{
    private static async Task<JobId> DeadLetterAsync(ApiServer server, string key)
    {
        var id = await server.Jobs.EnqueueAsync("work", new Work(key, "throw"), new JobOptions { MaxAttempts = 1 });
        Assert.Equal(JobState.DeadLettered, (await server.Jobs.WaitForJobAsync(id)).State);
        return id;
    }

    [Fact]
    public async Task Throughput_counts_succeeded_and_dead_lettered_jobs_in_the_bucket_they_finished()
    {
        await using var server = await ApiServer.StartAsync();
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("a")));
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("b")));
        await DeadLetterAsync(server, "c");

        var (status, body) = await server.GetAsync("/api/throughput?minutes=60");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(60, body.GetProperty("bucketSeconds").GetInt32());
        var buckets = body.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(60, buckets.Count);
        // T0 is 09:30:00, so the open bucket starts there; the one before it started a minute earlier.
        Assert.Equal(ApiServer.T0, buckets[^1].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(ApiServer.T0.AddMinutes(-59), buckets[0].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(2, buckets[^1].GetProperty("succeeded").GetInt64());
        Assert.Equal(1, buckets[^1].GetProperty("failed").GetInt64());
        Assert.All(buckets[..^1], b => Assert.Equal(0, b.GetProperty("succeeded").GetInt64() + b.GetProperty("failed").GetInt64()));
    }

    [Theory]
    [InlineData(60, 60, 60)] // one-minute bars up to an hour
    [InlineData(1, 60, 1)]
    [InlineData(61, 120, 31)] // past an hour the bars widen so there are never more than 60
    [InlineData(360, 600, 36)]
    [InlineData(1440, 1800, 48)]
    public async Task Throughput_bucket_width_grows_with_the_window(int minutes, int width, int count)
    {
        await using var server = await ApiServer.StartAsync();

        var (status, body) = await server.GetAsync($"/api/throughput?minutes={minutes}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(width, body.GetProperty("bucketSeconds").GetInt32());
        Assert.Equal(count, body.GetProperty("buckets").GetArrayLength());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1441")]
    [InlineData("-5")]
    [InlineData("an hour")]
    public async Task Throughput_refuses_a_bad_window_naming_it(string minutes)
    {
        await using var server = await ApiServer.StartAsync();

        AssertProblem(await server.GetAsync($"/api/throughput?minutes={Uri.EscapeDataString(minutes)}"), HttpStatusCode.BadRequest,
            $"'minutes' is '{minutes}'", "from 1 to 1440");
    }

    [Fact]
    public async Task Throughput_counts_a_closed_bucket_once_and_keeps_it()
    {
        await using var server = await ApiServer.StartAsync();
        await DeadLetterAsync(server, "a");
        var counter = new ThroughputCounter();
        var now = ApiServer.T0;

        var first = await counter.CountAsync(server.Jobs, 60, now, CancellationToken.None);
        // Every bucket but the open one and the one that closed less than the grace ago is kept.
        Assert.Equal(58, counter.CachedBuckets);
        Assert.Equal(1, first.Buckets[^1].Failed);

        // Two minutes on, T0's bucket has closed: it is counted once more, then kept; a purge does not rewrite history.
        now = now.AddMinutes(2);
        var second = await counter.CountAsync(server.Jobs, 60, now, CancellationToken.None);
        Assert.Equal(1, second.Buckets.Single(b => b.Start == ApiServer.T0).Failed);
        Assert.Equal(1, await server.Jobs.PurgeDeadLettersAsync());
        var third = await counter.CountAsync(server.Jobs, 60, now, CancellationToken.None);
        Assert.Equal(1, third.Buckets.Single(b => b.Start == ApiServer.T0).Failed);
        Assert.Equal(0, third.Buckets[^1].Failed);
    }

    [Fact]
    public async Task Bulk_requeue_puts_the_dead_letters_given_back_and_names_the_others()
    {
        await using var server = await ApiServer.StartAsync();
        var a = await DeadLetterAsync(server, "a");
        var b = await DeadLetterAsync(server, "b");
        var held = await server.Jobs.EnqueueAsync("work", new Work("held"), new JobOptions { Queue = "held" });
        // Requeued jobs stay pending: this process stops claiming from their queue.
        await server.Services.GetRequiredService<IQueueControl>().PauseQueueAsync("default");

        var (status, body) = await server.PostAsync("/api/deadletters/requeue", $$"""{"ids": [{{a}}, {{b}}, {{held}}, 999, {{a}}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([a.Value, b.Value], body.GetProperty("requeued").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([held.Value, 999L], body.GetProperty("skipped").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(JobState.Pending, (await server.Jobs.GetAsync(a))!.State);
        Assert.Equal(JobState.Pending, (await server.Jobs.GetAsync(b))!.State);
    }

    [Theory]
    [InlineData("""{"ids": []}""", "names 0 job ids")]
    [InlineData("""{}""", "names 0 job ids")]
    [InlineData("""{"ids": ["x"]}""", "cannot be read")]
    [InlineData("""[1, 2]""", "cannot be read")]
    public async Task Bulk_requeue_refuses_a_bad_body(string json, string detail)
    {
        await using var server = await ApiServer.StartAsync();

        AssertProblem(await server.PostAsync("/api/deadletters/requeue", json), HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task Bulk_requeue_refuses_too_many_ids_and_a_body_that_is_not_json()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = string.Join(",", Enumerable.Range(1, ApiEndpoints.MaxBulkIds + 1));

        AssertProblem(await server.PostAsync("/api/deadletters/requeue", $$"""{"ids": [{{ids}}]}"""), HttpStatusCode.BadRequest,
            $"names {ApiEndpoints.MaxBulkIds + 1} job ids", "1 to 1000");
        AssertProblem(await server.PostAsync("/api/deadletters/requeue"), HttpStatusCode.UnsupportedMediaType, "must be JSON");
    }

    [Fact]
    public async Task Purge_deletes_dead_letters_all_or_finished_before_an_instant()
    {
        await using var server = await ApiServer.StartAsync();
        var a = await DeadLetterAsync(server, "a");
        var done = await server.Jobs.EnqueueAsync("work", new Work("done"));
        await server.Jobs.WaitForJobAsync(done);

        var (status, body) = await server.PostAsync($"/api/deadletters/purge?finishedBefore={Uri.EscapeDataString(ApiServer.T0.ToString("O"))}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body.GetProperty("purged").GetInt32());
        Assert.NotNull(await server.Jobs.GetAsync(a));

        (status, body) = await server.PostAsync("/api/deadletters/purge");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body.GetProperty("purged").GetInt32());
        Assert.Null(await server.Jobs.GetAsync(a));
        Assert.NotNull(await server.Jobs.GetAsync(done));

        AssertProblem(await server.PostAsync("/api/deadletters/purge?finishedBefore=yesterday"), HttpStatusCode.BadRequest, "'finishedBefore' is 'yesterday'");
    }

    [Fact]
    public async Task Bulk_actions_pass_the_guard_read_only_and_cross_site()
    {
        await using var server = await ApiServer.StartAsync(o => o.ReadOnly = true);
        var a = await DeadLetterAsync(server, "a");

        AssertProblem(await server.PostAsync("/api/deadletters/requeue", $$"""{"ids": [{{a}}]}"""), HttpStatusCode.Forbidden, "read-only");
        AssertProblem(await server.PostAsync("/api/deadletters/purge"), HttpStatusCode.Forbidden, "read-only");
        Assert.Equal(JobState.DeadLettered, (await server.Jobs.GetAsync(a))!.State);
    }

    [Fact]
    public async Task Bulk_actions_need_the_action_header()
    {
        await using var server = await ApiServer.StartAsync();
        var a = await DeadLetterAsync(server, "a");

        AssertProblem(await server.PostAsync("/api/deadletters/purge", actionHeader: false), HttpStatusCode.Forbidden, TaskRunnerApiOptions.ActionHeader);
        Assert.NotNull(await server.Jobs.GetAsync(a));
    }
}
