namespace TaskRunner.Tests.Contracts;

// Lives beside the in-memory suite's files but belongs to the shared contract: every backend's subclass runs these.
public abstract partial class JobStoreContract<TFactory>
{
    // ---- list and count with filters (issue 11 item 3) ----
    // Each test stores jobs that match and jobs that differ only in the filtered field, so a filter a backend ignores
    // (or applies to the wrong column) lists the wrong ids. Finished jobs are made first: EnqueueAndFinish claims every
    // due job of the default queue.

    private async Task<IReadOnlyList<JobId>> Ids(JobQuery query) => [.. (await Store.ListAsync(query)).Select(r => r.Id)];

    private async Task<JobId> EnqueueAt(NewJob job, DateTimeOffset now) => Assert.Single(await Store.EnqueueAsync([job], now)).Id;

    [Fact]
    public async Task Query_by_state_lists_and_counts_only_that_state()
    {
        var succeeded = await EnqueueAndFinish(Job("a"), T0.AddMinutes(1));
        var pending = await Enqueue(Job("a"));
        var scheduled = await Enqueue(Job("a", runAt: T0.AddHours(1)));

        Assert.Equal([pending], await Ids(new JobQuery { State = JobState.Pending }));
        Assert.Equal([scheduled], await Ids(new JobQuery { State = JobState.Scheduled }));
        Assert.Equal([succeeded], await Ids(new JobQuery { State = JobState.Succeeded }));
        Assert.Empty(await Ids(new JobQuery { State = JobState.DeadLettered }));

        var counts = await Store.CountMatchingAsync(new JobQuery { State = JobState.Succeeded });
        Assert.Equal(1, counts.Succeeded);
        Assert.Equal(1, counts.Total);
    }

    [Fact]
    public async Task Query_by_queue_lists_and_counts_only_that_queue()
    {
        var mail1 = await Enqueue(Job("a", queue: "mail"));
        await Enqueue(Job("a", queue: "mailx")); // a prefix or LIKE match would wrongly include it
        await Enqueue(Job("a"));
        var mail2 = await Enqueue(Job("a", queue: "mail"));

        Assert.Equal([mail1, mail2], await Ids(new JobQuery { Queue = "mail" }));
        Assert.Equal(2, (await Store.CountMatchingAsync(new JobQuery { Queue = "mail" })).Pending);
    }

    [Fact]
    public async Task Query_by_job_name_lists_and_counts_only_that_name()
    {
        var send1 = await Enqueue(Job("send-email"));
        await Enqueue(Job("Send-Email")); // names are compared exactly
        await Enqueue(Job("resize"));
        var send2 = await Enqueue(Job("send-email", runAt: T0.AddHours(1)));

        Assert.Equal([send1, send2], await Ids(new JobQuery { JobName = "send-email" }));
        var counts = await Store.CountMatchingAsync(new JobQuery { JobName = "send-email" });
        Assert.Equal((1, 1, 2L), (counts.Pending, counts.Scheduled, counts.Total));
    }

    [Fact]
    public async Task Query_by_batch_lists_and_counts_only_that_batch()
    {
        var batch = BatchId.New();
        var other = BatchId.New();
        var inBatch = await Store.CreateBatchAsync(new NewBatch { Id = batch, Jobs = [Job("s", batchId: batch), Job("s", batchId: batch)] }, T0);
        await Store.CreateBatchAsync(new NewBatch { Id = other, Jobs = [Job("s", batchId: other)] }, T0);
        await Enqueue(Job("s"));

        Assert.Equal(inBatch.Select(r => r.Id), await Ids(new JobQuery { BatchId = batch }));
        Assert.Equal(2, (await Store.CountMatchingAsync(new JobQuery { BatchId = batch })).Total);
    }

    [Fact]
    public async Task Query_by_tag_matches_any_of_a_jobs_tags_exactly()
    {
        var first = await Enqueue(Job("a", tags: ["tenant:7", "vip"]));
        var only = await Enqueue(Job("a", tags: ["vip"]));
        await Enqueue(Job("a", tags: ["tenant:70", "VIP"])); // neither a prefix nor another case matches
        await Enqueue(Job("a"));

        Assert.Equal([first, only], await Ids(new JobQuery { Tag = "vip" }));
        Assert.Equal([first], await Ids(new JobQuery { Tag = "tenant:7" }));
        Assert.Equal(2, (await Store.CountMatchingAsync(new JobQuery { Tag = "vip" })).Total);
        Assert.Empty(await Ids(new JobQuery { Tag = "vi" }));
    }

    [Fact]
    public async Task Query_by_created_range_includes_its_start_and_excludes_its_end()
    {
        var before = await EnqueueAt(Job("a"), T0.AddMinutes(-1));
        var atStart = await EnqueueAt(Job("a"), T0);
        var inside = await EnqueueAt(Job("a"), T0.AddMinutes(5));
        var atEnd = await EnqueueAt(Job("a"), T0.AddMinutes(10));

        Assert.Equal([atStart, inside], await Ids(new JobQuery { CreatedFrom = T0, CreatedBefore = T0.AddMinutes(10) }));
        Assert.Equal([before], await Ids(new JobQuery { CreatedBefore = T0 }));
        Assert.Equal([inside, atEnd], await Ids(new JobQuery { CreatedFrom = T0.AddMinutes(1) }));
        Assert.Equal(2, (await Store.CountMatchingAsync(new JobQuery { CreatedFrom = T0, CreatedBefore = T0.AddMinutes(10) })).Total);
    }

    [Fact]
    public async Task Query_by_finished_range_lists_only_jobs_that_finished_in_it()
    {
        var early = await EnqueueAndFinish(Job("a"), T0.AddMinutes(1));
        var late = await EnqueueAndFinish(Job("a"), T0.AddMinutes(3));
        var cancelled = await Enqueue(Job("a"));
        await Enqueue(Job("a")); // unfinished: never in a finished range
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(cancelled, T0.AddMinutes(2)));

        Assert.Equal([early, cancelled], await Ids(new JobQuery { FinishedFrom = T0.AddMinutes(1), FinishedBefore = T0.AddMinutes(3) }));
        Assert.Equal([late], await Ids(new JobQuery { FinishedFrom = T0.AddMinutes(3) }));
        Assert.Equal([early], await Ids(new JobQuery { FinishedBefore = T0.AddMinutes(2) }));

        var counts = await Store.CountMatchingAsync(new JobQuery { FinishedFrom = T0 });
        Assert.Equal((2, 1, 3L), (counts.Succeeded, counts.Cancelled, counts.Total));
    }

    [Fact]
    public async Task Query_filters_combine_with_and()
    {
        await EnqueueAndFinish(Job("send", tags: ["vip"]), T0.AddMinutes(1)); // other state
        var match = await Enqueue(Job("send", tags: ["vip"]));
        await Enqueue(Job("send")); // no tag
        await Enqueue(Job("send", queue: "other", tags: ["vip"])); // other queue
        await Enqueue(Job("resize", tags: ["vip"])); // other name
        await EnqueueAt(Job("send", tags: ["vip"]), T0.AddMinutes(-1)); // created before the range

        var query = new JobQuery { State = JobState.Pending, Queue = JobOptions.DefaultQueue, JobName = "send", Tag = "vip", CreatedFrom = T0 };
        Assert.Equal([match], await Ids(query));
        Assert.Equal(1, (await Store.CountMatchingAsync(query)).Total);
    }

    [Fact]
    public async Task Query_pages_by_id_without_gaps_or_repeats_while_jobs_change()
    {
        var ids = new List<JobId>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await Enqueue(Job("page", tags: ["p"])));
        }

        var query = new JobQuery { Tag = "p", Limit = 3 };
        var page1 = await Ids(query);
        Assert.Equal(ids.Take(3), page1);

        // Between pages: a job of the first page is cancelled and a new one arrives; neither shifts the pages after it.
        Assert.Equal(CancelResult.Cancelled, await Store.CancelAsync(ids[0], T0.AddMinutes(1)));
        var added = await Enqueue(Job("page", tags: ["p"]));
        var page2 = await Ids(query with { AfterId = page1[^1] });
        var page3 = await Ids(query with { AfterId = page2[^1] });
        var page4 = await Ids(query with { AfterId = page3[^1] });

        Assert.Equal(ids.Skip(3).Take(3), page2);
        Assert.Equal([ids[6], added], page3);
        Assert.Empty(page4);
        var counts = await Store.CountMatchingAsync(query with { AfterId = ids[5], Limit = 1 }); // paging fields are ignored
        Assert.Equal((7, 1, 8L), (counts.Pending, counts.Cancelled, counts.Total));
    }

    [Fact]
    public async Task Query_without_filters_counts_like_count_by_queue()
    {
        await EnqueueAndFinish(Job("a"), T0.AddMinutes(1));
        await Enqueue(Job("a"));
        await Enqueue(Job("a", queue: "mail"));

        var all = await Store.CountMatchingAsync(new JobQuery());
        var legacy = await Store.CountAsync(null);
        Assert.Equal((legacy.Pending, legacy.Succeeded, legacy.Total), (all.Pending, all.Succeeded, all.Total));
        Assert.Equal(3, all.Total);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(JobQuery.MaxLimit + 1)]
    public async Task Query_with_an_out_of_range_limit_is_rejected_naming_it(int limit)
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListAsync(new JobQuery { Limit = limit }).AsTask());
        Assert.Equal("Limit", ex.ParamName);
        Assert.Contains(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_with_a_reversed_range_or_empty_text_is_rejected_naming_it()
    {
        var reversed = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => Store.CountMatchingAsync(new JobQuery { CreatedFrom = T0, CreatedBefore = T0.AddSeconds(-1) }).AsTask());
        Assert.Equal("CreatedBefore", reversed.ParamName);
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => Store.ListAsync(new JobQuery { Tag = "" }).AsTask());
        Assert.Equal("Tag", empty.ParamName);
    }
}
