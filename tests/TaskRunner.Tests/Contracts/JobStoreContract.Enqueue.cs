using System.Text;

namespace TaskRunner.Tests.Contracts;

public abstract partial class JobStoreContract<TFactory>
{
    // ---- enqueue ----

    [Fact]
    public async Task Enqueue_stores_every_field_and_reads_it_back()
    {
        var batch = BatchId.New();
        var job = new NewJob
        {
            Name = "email.send",
            Payload = Encoding.UTF8.GetBytes("""{"to":"a@b.c"}"""),
            Queue = "mail",
            Priority = 7,
            RunAt = T0,
            MaxAttempts = 5,
            Timeout = TimeSpan.FromSeconds(90),
            UniqueKey = "u-1",
            IdempotencyKey = "i-1",
            ConcurrencyKey = "c-1",
            Tags = ["red", "blue"],
            BatchId = batch,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

        var results = await Store.EnqueueAsync([job], T0);

        var result = Assert.Single(results);
        Assert.True(result.Created);
        var record = await Store.GetAsync(result.Id);
        Assert.NotNull(record);
        Assert.Equal(result.Id, record.Id);
        Assert.Equal("email.send", record.Name);
        Assert.Equal("mail", record.Queue);
        Assert.Equal(job.Payload.ToArray(), record.Payload.ToArray());
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(7, record.Priority);
        Assert.Equal(T0, record.RunAt);
        Assert.Equal(T0, record.CreatedAt);
        Assert.Equal(0, record.Attempts);
        Assert.Equal(5, record.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(90), record.Timeout);
        Assert.Equal("u-1", record.UniqueKey);
        Assert.Equal("i-1", record.IdempotencyKey);
        Assert.Equal("c-1", record.ConcurrencyKey);
        Assert.Equal(["red", "blue"], record.Tags);
        Assert.Equal(batch, record.BatchId);
        Assert.Equal(job.TraceParent, record.TraceParent);
        Assert.Null(record.Owner);
        Assert.Null(record.LeaseExpiresAt);
        Assert.False(record.CancellationRequested);
        Assert.Null(record.Result);
        Assert.Null(record.LastError);
        Assert.Null(record.FinishedAt);
    }

    [Fact]
    public async Task Enqueue_of_an_unknown_id_reads_null()
    {
        Assert.Null(await Store.GetAsync(new JobId(424242)));
    }

    [Fact]
    public async Task Enqueue_many_returns_one_result_per_job_in_order_with_growing_ids()
    {
        var jobs = Enumerable.Range(0, 50).Select(i => Job($"job-{i}")).ToList();

        var results = await Store.EnqueueAsync(jobs, T0);

        Assert.Equal(50, results.Count);
        Assert.All(results, r => Assert.True(r.Created));
        for (var i = 1; i < results.Count; i++)
        {
            Assert.True(results[i].Id > results[i - 1].Id, "ids grow with insertion order");
        }

        for (var i = 0; i < results.Count; i += 17)
        {
            Assert.Equal($"job-{i}", (await Store.GetAsync(results[i].Id))!.Name);
        }
    }

    [Fact]
    public async Task Enqueue_many_mixing_keyed_and_plain_jobs_keeps_results_in_order()
    {
        var existing = await Enqueue(Job("existing", uniqueKey: "taken"));
        var jobs = new List<NewJob>();
        for (var i = 0; i < 70; i++)
        {
            jobs.Add(i % 9 == 4 ? Job($"j{i}", uniqueKey: i == 13 ? "taken" : $"u{i}") : Job($"j{i}"));
        }

        var results = await Store.EnqueueAsync(jobs, T0);

        Assert.Equal(70, results.Count);
        for (var i = 0; i < 70; i++)
        {
            if (i == 13)
            {
                Assert.Equal(new EnqueueResult(existing, false), results[i]);
                continue;
            }

            Assert.True(results[i].Created);
            Assert.Equal($"j{i}", (await Store.GetAsync(results[i].Id))!.Name);
        }
    }

    [Fact]
    public async Task Enqueue_is_pending_when_due_and_scheduled_when_run_at_is_in_the_future()
    {
        var results = await Store.EnqueueAsync(
        [
            Job("past", runAt: T0.AddMinutes(-1)),
            Job("now", runAt: T0), // due exactly now: pending
            Job("future", runAt: T0.AddTicks(1)),
        ], T0);

        Assert.Equal(JobState.Pending, (await Store.GetAsync(results[0].Id))!.State);
        Assert.Equal(JobState.Pending, (await Store.GetAsync(results[1].Id))!.State);
        Assert.Equal(JobState.Scheduled, (await Store.GetAsync(results[2].Id))!.State);
    }
}
