using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>What a handler learns from its <see cref="JobContext"/> (issue 10 item 6): the fencing token of its claim,
/// the occurrence of a recurring job, and the batch a continuation follows.</summary>
public sealed class JobContextFactsTests
{
    private static Task<RunnerHost> StartAsync(Action<ITaskRunnerBuilder>? configure = null) =>
        RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<FactsHandler, Facts>("facts");
                configure?.Invoke(b);
            },
            services: s => s.AddSingleton<SeenFacts>());

    [Fact]
    public async Task A_handler_sees_the_lease_token_of_its_claim_and_no_occurrence_or_batch_for_a_plain_job()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Facts("plain"));

        await host.Events.WaitFor(JobEventKind.Succeeded, id);

        var seen = host.Services.GetRequiredService<SeenFacts>().ByKey["plain"];
        var record = (await host.Client.GetAsync(id))!;
        Assert.True(seen.LeaseToken > 0);
        Assert.Equal(record.LeaseToken, seen.LeaseToken);
        Assert.Null(seen.OccurrenceAt);
        Assert.Null(seen.ContinuationOf);
    }

    [Fact]
    public async Task A_retried_job_sees_a_greater_lease_token_on_its_second_attempt()
    {
        await using var host = await StartAsync();
        var id = await host.Client.EnqueueAsync(new Facts("retry", Throw: true), new JobOptions { MaxAttempts = 2 });
        var failed = await host.Events.WaitFor(JobEventKind.Failed, id, attempt: 1);
        var first = host.Services.GetRequiredService<SeenFacts>().ByKey["retry"].LeaseToken;

        host.Time.SetUtcNow(failed.RetryAt!.Value);
        await host.Events.WaitFor(JobEventKind.DeadLettered, id, attempt: 2);

        var second = host.Services.GetRequiredService<SeenFacts>().ByKey["retry"].LeaseToken;
        Assert.True(second > first, $"second attempt's token {second} is not greater than the first's {first}");
        Assert.Equal((await host.Client.GetAsync(id))!.LeaseToken, second);
    }

    [Fact]
    public async Task A_recurring_job_sees_its_occurrence_time()
    {
        await using var host = await StartAsync(b => b.AddRecurring("minutely", "* * * * *", new Facts("cron")));
        var start = host.Time.GetUtcNow();
        var occurrence = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, start.Minute, 0, TimeSpan.Zero).AddMinutes(1);

        host.Time.SetUtcNow(occurrence.AddSeconds(10)); // late, so the occurrence differs from the run time
        await host.Events.WaitFor(e => e.Kind == JobEventKind.Succeeded);

        var seen = host.Services.GetRequiredService<SeenFacts>().ByKey["cron"];
        Assert.Equal(occurrence, seen.OccurrenceAt);
        var job = Assert.Single(await host.Store.ListAsync(new JobQuery { State = JobState.Succeeded }));
        Assert.Equal(occurrence, job.OccurrenceAt);
    }

    [Fact]
    public async Task A_batch_continuation_sees_the_batch_it_follows_and_the_shards_see_none()
    {
        await using var host = await StartAsync();
        var batch = await host.Client.EnqueueBatchAsync(
            [new Facts("shard-1"), new Facts("shard-2")], continuation: JobContinuation.For(new Facts("after")));

        var status = await host.Client.WaitForBatchAsync(batch);
        await host.Events.WaitFor(JobEventKind.Succeeded, status.ContinuationId!.Value);

        var seen = host.Services.GetRequiredService<SeenFacts>().ByKey;
        Assert.Equal(batch, seen["after"].ContinuationOf);
        Assert.Null(seen["shard-1"].ContinuationOf);
        Assert.Equal(batch, seen["shard-1"].BatchId);
        Assert.Equal(batch, (await host.Client.GetAsync(status.ContinuationId.Value))!.ContinuationOf);
    }

    internal sealed record Facts(string Key, bool Throw = false);

    internal sealed record Seen(long LeaseToken, DateTimeOffset? OccurrenceAt, BatchId? ContinuationOf, BatchId? BatchId);

    internal sealed class SeenFacts
    {
        public ConcurrentDictionary<string, Seen> ByKey { get; } = new();
    }

    internal sealed class FactsHandler(SeenFacts seen) : IJobHandler<Facts>
    {
        public ValueTask ExecuteAsync(Facts payload, JobContext context)
        {
            seen.ByKey[payload.Key] = new Seen(context.LeaseToken, context.OccurrenceAt, context.ContinuationOf, context.BatchId);
            return payload.Throw ? throw new InvalidOperationException("retry me") : ValueTask.CompletedTask;
        }
    }
}
