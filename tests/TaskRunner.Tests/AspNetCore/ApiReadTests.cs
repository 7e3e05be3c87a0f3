using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using static TaskRunner.Tests.AspNetCore.ApiCalls;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>The reads of <c>MapTaskRunnerApi</c> on a real in-process server over a real SQLite store: a job's JSON in each
/// state, filters and paging, counts, 404/400 answers, recurring jobs, queues, nodes, locks and the OpenAPI document.</summary>
public sealed class ApiReadTests
{
    private static readonly DateTimeOffset T0 = ApiServer.T0;

    /// <summary>Stores one job in each state in its own queue (<c>s-{state}</c>, which nobody serves), driving the store as a
    /// worker would, at known instants.</summary>
    internal static async Task<Dictionary<JobState, JobId>> SeedStatesAsync(IJobStore store)
    {
        var ids = new Dictionary<JobState, JobId>();
        async Task<JobId> Add(JobState state, DateTimeOffset? runAt = null, int maxAttempts = 3)
        {
            var job = new NewJob
            {
                Name = "work",
                Queue = "s-" + state,
                Payload = Encoding.UTF8.GetBytes($$"""{"key":"{{state}}","mode":null}"""),
                RunAt = runAt ?? T0,
                MaxAttempts = maxAttempts,
                Tags = ["seed", state.ToString()],
            };
            var id = (await store.EnqueueAsync([job], T0))[0].Id;
            ids[state] = id;
            return id;
        }

        async Task<ClaimedJob> Claim(JobState state)
        {
            await Add(state);
            var claimed = await store.ClaimAsync(new ClaimRequest
            {
                Queue = "s-" + state, MaxCount = 1, Owner = "node-1", Now = T0.AddSeconds(1), LeaseDuration = TimeSpan.FromMinutes(5),
            });
            return Assert.Single(claimed);
        }

        Task Finish(ClaimedJob job, JobCompletion completion) =>
            store.CompleteAsync(new CompleteRequest { Completions = [completion], Now = T0.AddSeconds(2) }).AsTask();

        await Add(JobState.Scheduled, T0.AddHours(1));
        await Add(JobState.Pending);
        var running = await Claim(JobState.Running);
        Assert.True(await store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(running.Id, running.LeaseToken), Percent = 40, Message = "working", Now = T0.AddSeconds(1) }));
        var succeeded = await Claim(JobState.Succeeded);
        Assert.True(await store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(succeeded.Id, succeeded.LeaseToken), Percent = 100, Message = "done", Now = T0.AddSeconds(1) }));
        await Finish(succeeded, JobCompletion.Succeeded(succeeded.Id, succeeded.LeaseToken, Encoding.UTF8.GetBytes("""{"ok":true}""")));
        var failed = await Claim(JobState.Failed);
        await Finish(failed, JobCompletion.Failed(failed.Id, failed.LeaseToken, new JobError("System.IO.IOException", "disk full", "   at Resizer.Run()"), T0.AddMinutes(1)));
        var dead = await Claim(JobState.DeadLettered);
        await Finish(dead, JobCompletion.DeadLettered(dead.Id, dead.LeaseToken, new JobError("System.InvalidOperationException", "boom", "   at Work.Execute()\n   at Runner.Run()")));
        var cancelled = await Add(JobState.Cancelled);
        Assert.Equal(CancelResult.Cancelled, await store.CancelAsync(cancelled, T0.AddSeconds(2)));
        return ids;
    }

    private static string Text(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? "null" : e.GetProperty(name).ToString();

    [Fact]
    public async Task A_job_in_each_state_reads_back_as_the_job_record_json_with_its_times_progress_result_and_error()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await SeedStatesAsync(server.Store);

        var jobs = new Dictionary<JobState, JsonElement>();
        foreach (var (state, id) in ids)
        {
            var (status, body) = await server.GetAsync($"/api/jobs/{id}");
            Assert.Equal(HttpStatusCode.OK, status);
            jobs[state] = body;
        }

        // Fields every job has, as JobRecord serializes them with web (camelCase) names.
        foreach (var (state, job) in jobs)
        {
            Assert.Equal(ids[state].Value, job.GetProperty("id").GetInt64());
            Assert.Equal(state.ToString(), job.GetProperty("state").GetString());
            Assert.Equal("work", job.GetProperty("name").GetString());
            Assert.Equal("s-" + state, job.GetProperty("queue").GetString());
            Assert.Equal(state.ToString(), job.GetProperty("payload").GetProperty("key").GetString());
            Assert.Equal(["seed", state.ToString()], job.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal("2026-03-01T09:30:00+00:00", job.GetProperty("createdAt").GetString());
            Assert.Equal(3, job.GetProperty("maxAttempts").GetInt32());
        }

        string Pinned(JobState s, params string[] names) => string.Join(" | ", names.Select(n => n + "=" + Text(jobs[s], n)));
        const string Times = "runAt|firstStartedAt|lastStartedAt|leaseExpiresAt|finishedAt";
        const string Work = "attempts|owner|progressPercent|progressMessage|result|lastError|cancellationRequested";
        var fields = (Times + "|" + Work).Split('|');

        Assert.Equal(
            "runAt=2026-03-01T10:30:00+00:00 | firstStartedAt=null | lastStartedAt=null | leaseExpiresAt=null | finishedAt=null | attempts=0 | owner=null | progressPercent=null | progressMessage=null | result=null | lastError=null | cancellationRequested=False",
            Pinned(JobState.Scheduled, fields));
        Assert.Equal(
            "runAt=2026-03-01T09:30:00+00:00 | firstStartedAt=null | lastStartedAt=null | leaseExpiresAt=null | finishedAt=null | attempts=0 | owner=null | progressPercent=null | progressMessage=null | result=null | lastError=null | cancellationRequested=False",
            Pinned(JobState.Pending, fields));
        Assert.Equal(
            "runAt=2026-03-01T09:30:00+00:00 | firstStartedAt=2026-03-01T09:30:01+00:00 | lastStartedAt=2026-03-01T09:30:01+00:00 | leaseExpiresAt=2026-03-01T09:35:01+00:00 | finishedAt=null | attempts=1 | owner=node-1 | progressPercent=40 | progressMessage=working | result=null | lastError=null | cancellationRequested=False",
            Pinned(JobState.Running, fields));
        Assert.Equal(
            """runAt=2026-03-01T09:30:00+00:00 | firstStartedAt=2026-03-01T09:30:01+00:00 | lastStartedAt=2026-03-01T09:30:01+00:00 | leaseExpiresAt=null | finishedAt=2026-03-01T09:30:02+00:00 | attempts=1 | owner=node-1 | progressPercent=100 | progressMessage=done | result={"ok":true} | lastError=null | cancellationRequested=False""",
            Pinned(JobState.Succeeded, fields));
        Assert.Equal(
            """runAt=2026-03-01T09:31:00+00:00 | firstStartedAt=2026-03-01T09:30:01+00:00 | lastStartedAt=2026-03-01T09:30:01+00:00 | leaseExpiresAt=null | finishedAt=null | attempts=1 | owner=node-1 | progressPercent=null | progressMessage=null | result=null | lastError={"type":"System.IO.IOException","message":"disk full","stackTrace":"   at Resizer.Run()"} | cancellationRequested=False""",
            Pinned(JobState.Failed, fields));
        Assert.Equal(
            """runAt=2026-03-01T09:30:00+00:00 | firstStartedAt=2026-03-01T09:30:01+00:00 | lastStartedAt=2026-03-01T09:30:01+00:00 | leaseExpiresAt=null | finishedAt=2026-03-01T09:30:02+00:00 | attempts=1 | owner=node-1 | progressPercent=null | progressMessage=null | result=null | lastError={"type":"System.InvalidOperationException","message":"boom","stackTrace":"   at Work.Execute()\n   at Runner.Run()"} | cancellationRequested=False""",
            Pinned(JobState.DeadLettered, fields));
        Assert.Equal(
            "runAt=2026-03-01T09:30:00+00:00 | firstStartedAt=null | lastStartedAt=null | leaseExpiresAt=null | finishedAt=2026-03-01T09:30:02+00:00 | attempts=0 | owner=null | progressPercent=null | progressMessage=null | result=null | lastError=null | cancellationRequested=False",
            Pinned(JobState.Cancelled, fields));

        // The same shape as the core's JobRecord: every property it has, and nothing else.
        var record = await server.Jobs.GetAsync(ids[JobState.Succeeded]);
        Assert.Equal(
            JsonDocument.Parse(JsonSerializer.Serialize(record, new JsonSerializerOptions(JsonSerializerDefaults.Web))).RootElement.EnumerateObject().Select(p => p.Name),
            jobs[JobState.Succeeded].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Filters_narrow_the_list_and_pages_follow_next_after_id_to_the_end()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await SeedStatesAsync(server.Store);
        var batch = BatchId.New();
        await server.Store.CreateBatchAsync(new NewBatch
        {
            Id = batch,
            Jobs = [.. Enumerable.Range(0, 3).Select(i => new NewJob { Name = "import", Queue = "held", BatchId = batch, RunAt = T0, Payload = Encoding.UTF8.GetBytes($$"""{"row":{{i}}}"""), Tags = ["import"] })],
        }, T0.AddMinutes(10));

        async Task<long[]> Ids(string query)
        {
            var (status, body) = await server.GetAsync("/api/jobs?" + query);
            Assert.Equal(HttpStatusCode.OK, status);
            return [.. body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64())];
        }

        Assert.Equal([ids[JobState.DeadLettered].Value], await Ids("state=DeadLettered"));
        Assert.Equal([ids[JobState.DeadLettered].Value], await Ids("state=deadlettered"));
        Assert.Equal([ids[JobState.Failed].Value], await Ids("queue=s-Failed"));
        Assert.Equal(3, (await Ids("name=import")).Length);
        Assert.Equal(3, (await Ids("batch=" + batch)).Length);
        Assert.Equal([ids[JobState.Running].Value], await Ids("tag=Running"));
        Assert.Equal(3, (await Ids("createdFrom=2026-03-01T09:35:00Z")).Length);
        Assert.Equal(7, (await Ids("createdBefore=2026-03-01T09:35:00%2B00:00")).Length);
        Assert.Equal(
            new[] { ids[JobState.Succeeded].Value, ids[JobState.DeadLettered].Value, ids[JobState.Cancelled].Value },
            await Ids("finishedFrom=2026-03-01T09:30:02Z&finishedBefore=2026-03-01T09:30:03Z"));
        Assert.Empty(await Ids("tag=seed&name=import"));

        // Paging: three at a time, following nextAfterId until it is null.
        var seen = new List<long>();
        string? after = null;
        var pages = 0;
        do
        {
            var (status, body) = await server.GetAsync("/api/jobs?limit=3" + (after is null ? "" : "&afterId=" + after));
            Assert.Equal(HttpStatusCode.OK, status);
            seen.AddRange(body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()));
            after = body.GetProperty("nextAfterId").ValueKind == JsonValueKind.Null ? null : body.GetProperty("nextAfterId").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
            pages++;
        }
        while (after is not null && pages < 10);

        Assert.Equal(10, seen.Count);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(4, pages); // 3 + 3 + 3 + 1
    }

    [Fact]
    public async Task Counts_are_by_state_over_all_queues_and_per_queue()
    {
        await using var server = await ApiServer.StartAsync();
        await SeedStatesAsync(server.Store);

        var (status, body) = await server.GetAsync("/api/counts?queue=s-Failed");

        Assert.Equal(HttpStatusCode.OK, status);
        var all = body.GetProperty("all");
        Assert.Equal(7, all.GetProperty("total").GetInt64());
        foreach (var state in Enum.GetNames<JobState>())
        {
            Assert.Equal(1, all.GetProperty(char.ToLowerInvariant(state[0]) + state[1..]).GetInt64());
        }

        var queues = body.GetProperty("queues");
        Assert.Equal(1, queues.GetProperty("s-Failed").GetProperty("failed").GetInt64());
        Assert.Equal(1, queues.GetProperty("s-Pending").GetProperty("pending").GetInt64()); // waiting work names its queue
        Assert.Equal(0, queues.GetProperty("default").GetProperty("total").GetInt64());
        Assert.Equal(0, queues.GetProperty("mail").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task An_unknown_job_is_404_and_a_bad_id_is_400_naming_it()
    {
        await using var server = await ApiServer.StartAsync();

        AssertProblem(await server.GetAsync("/api/jobs/999"), HttpStatusCode.NotFound, "999");
        foreach (var bad in new[] { "abc", "0", "-4", "1.5", "99999999999999999999" })
        {
            AssertProblem(await server.GetAsync("/api/jobs/" + bad), HttpStatusCode.BadRequest, $"'{bad}' is not a job id", "positive whole number");
        }
    }

    [Theory]
    [InlineData("state=Bogus", "'state' is 'Bogus'", "DeadLettered")]
    [InlineData("state=3", "'state' is '3'", "one of")]
    [InlineData("limit=0", "'limit' is '0'", "1 to 10000")]
    [InlineData("limit=ten", "'limit' is 'ten'", "1 to 10000")]
    [InlineData("afterId=x1", "'afterId' is 'x1'", "positive whole number")]
    [InlineData("batch=123", "'batch' is '123'", "32 hex digits")]
    [InlineData("createdFrom=yesterday", "'createdFrom' is 'yesterday'", "ISO-8601")]
    [InlineData("queue=", "JobQuery.Queue is empty", "")]
    [InlineData("createdFrom=2026-03-02T00:00:00Z&createdBefore=2026-03-01T00:00:00Z", "JobQuery.CreatedBefore", "must not end before it starts")]
    public async Task A_bad_filter_is_a_400_problem_naming_the_value_and_the_rule(string query, string names, string rule)
    {
        await using var server = await ApiServer.StartAsync();

        AssertProblem(await server.GetAsync("/api/jobs?" + query), HttpStatusCode.BadRequest, names, rule);
    }

    [Fact]
    public async Task Recurring_jobs_show_their_next_and_upcoming_occurrences()
    {
        await using var server = await ApiServer.StartAsync();
        var recurring = server.Services.GetRequiredService<IRecurringJobs>();
        await WaitForScheduleAsync(recurring, "nightly-report");

        var (status, body) = await server.GetAsync("/api/recurring?upcoming=3");

        Assert.Equal(HttpStatusCode.OK, status);
        var schedule = Assert.Single(body.EnumerateArray());
        Assert.Equal("nightly-report", schedule.GetProperty("name").GetString());
        Assert.Equal("0 3 * * *", schedule.GetProperty("cron").GetString());
        Assert.Equal("work", schedule.GetProperty("jobName").GetString());
        Assert.Equal("nightly", schedule.GetProperty("payload").GetProperty("key").GetString());
        Assert.Equal("FireOnce", schedule.GetProperty("misfirePolicy").GetString());
        Assert.False(schedule.GetProperty("paused").GetBoolean());
        Assert.Equal("2026-03-02T03:00:00+00:00", schedule.GetProperty("nextOccurrence").GetString());
        Assert.Equal(["2026-03-02T03:00:00+00:00", "2026-03-03T03:00:00+00:00", "2026-03-04T03:00:00+00:00"],
            schedule.GetProperty("upcoming").EnumerateArray().Select(o => o.GetString()));

        AssertProblem(await server.GetAsync("/api/recurring?upcoming=101"), HttpStatusCode.BadRequest, "'upcoming' is '101'");
    }

    /// <summary>The scheduler stores code schedules once the runner has started; waits (bounded) until it has.</summary>
    internal static async Task WaitForScheduleAsync(IRecurringJobs recurring, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await recurring.GetAsync(name, timeout.Token) is null)
        {
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Queues_nodes_and_locks_are_listed()
    {
        await using var server = await ApiServer.StartAsync();
        var locks = server.Services.GetRequiredService<ILockStore>();
        var lease = (await locks.TryAcquireAsync("reports", "node-x", T0, T0.AddMinutes(1)))!.Value;
        await locks.TryAcquireAsync("gone", "node-y", T0.AddMinutes(-5), T0.AddMinutes(-4)); // expired: not listed

        var (queuesStatus, queues) = await server.GetAsync("/api/queues");
        var (nodesStatus, nodes) = await server.GetAsync("/api/nodes");
        var (locksStatus, held) = await server.GetAsync("/api/locks");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (queuesStatus, nodesStatus, locksStatus));
        Assert.Equal(["default", "mail"], queues.EnumerateArray().Select(q => q.GetProperty("name").GetString()));
        Assert.All(queues.EnumerateArray(), q => Assert.False(q.GetProperty("paused").GetBoolean()));
        var node = Assert.Single(nodes.EnumerateArray());
        Assert.Equal(["default", "mail"], node.GetProperty("queues").EnumerateArray().Select(q => q.GetString()));
        var heldLock = Assert.Single(held.EnumerateArray(), l => l.GetProperty("name").GetString() == "reports");
        Assert.Equal("node-x", heldLock.GetProperty("owner").GetString());
        Assert.Equal(lease.FencingToken, heldLock.GetProperty("fencingToken").GetInt64());
        Assert.Equal("2026-03-01T09:31:00+00:00", heldLock.GetProperty("expiresAt").GetString());
        Assert.DoesNotContain(held.EnumerateArray(), l => l.GetProperty("name").GetString() == "gone");
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_with_names_and_summaries()
    {
        await using var server = await ApiServer.StartAsync();

        var (status, doc) = await server.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, status);
        var paths = doc.GetProperty("paths");
        var operations = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Op: o.Value)))
            .ToList();
        Assert.Equal(
            [
                "get /api/counts", "get /api/jobs", "get /api/jobs/{id}", "get /api/locks", "get /api/nodes", "get /api/queues",
                "get /api/recurring", "get /api/throughput", "post /api/deadletters/purge", "post /api/deadletters/requeue",
                "post /api/jobs", "post /api/jobs/{id}/cancel", "post /api/jobs/{id}/delete", "post /api/jobs/{id}/requeue",
                "post /api/queues/{name}/pause", "post /api/queues/{name}/resume", "post /api/recurring/{name}/pause",
                "post /api/recurring/{name}/resume", "post /api/recurring/{name}/trigger",
            ],
            operations.Select(o => o.Method + " " + o.Path).Order(StringComparer.Ordinal));
        Assert.All(operations, o =>
        {
            Assert.StartsWith("TaskRunner", o.Op.GetProperty("operationId").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(o.Op.GetProperty("summary").GetString()));
        });
        var getJob = operations.Single(o => o.Method == "get" && o.Path == "/api/jobs/{id}").Op;
        Assert.True(getJob.GetProperty("responses").TryGetProperty("200", out var ok));
        Assert.True(ok.GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(getJob.GetProperty("responses").TryGetProperty("404", out _));
        var list = operations.Single(o => o.Method == "get" && o.Path == "/api/jobs").Op;
        Assert.Superset(
            new HashSet<string> { "state", "queue", "name", "batch", "tag", "createdFrom", "createdBefore", "finishedFrom", "finishedBefore", "afterId", "limit" },
            list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToHashSet());
    }
}
