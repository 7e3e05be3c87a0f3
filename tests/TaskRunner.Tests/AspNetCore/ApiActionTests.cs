using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;
using static TaskRunner.Tests.AspNetCore.ApiCalls;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>The actions of <c>MapTaskRunnerApi</c> (POST) on a real in-process server over a real SQLite store, with a
/// worker in the same host: seed 004's flow over HTTP, enqueue errors, cancel, requeue, schedules and queues.</summary>
public sealed class ApiActionTests
{
    private static async Task<JsonElement> PollUntilAsync(ApiServer server, long id, Func<JsonElement, bool> done)
    {
        // Awaits the job's own change (each poll re-reads it), bounded; no fixed sleeps.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var (status, job) = await server.GetAsync($"/api/jobs/{id}");
            Assert.Equal(HttpStatusCode.OK, status);
            if (done(job))
            {
                return job;
            }

            timeout.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Seed_004_enqueue_over_http_poll_status_and_progress_then_read_the_result()
    {
        await using var server = await ApiServer.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = new StringContent("""{"name":"resize-image","payload":{"file":"cat.png","width":640},"options":{"tags":["upload"]}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-TaskRunner-Action", "1");
        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await BodyAsync(response);
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal("Enqueued", created.GetProperty("outcome").GetString());
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);

        // The worker in this host picks it up at once (a local enqueue wakes it), reports progress and waits for us.
        await server.Probe.StartedGate("cat.png").Task;
        var running = await PollUntilAsync(server, id, j => j.GetProperty("progressPercent").ValueKind == JsonValueKind.Number);
        Assert.Equal("Running", running.GetProperty("state").GetString());
        Assert.Equal(50, running.GetProperty("progressPercent").GetInt32());
        Assert.Equal("resizing cat.png", running.GetProperty("progressMessage").GetString());
        Assert.Equal(["upload"], running.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        server.Probe.ReleaseGate("cat.png").Open();
        var done = await PollUntilAsync(server, id, j => j.GetProperty("state").GetString() == "Succeeded");
        Assert.Equal("""{"file":"cat.png","width":640,"bytes":1234}""", done.GetProperty("result").GetRawText());
        Assert.Equal("""{"file":"cat.png","width":640}""", done.GetProperty("payload").GetRawText());
        Assert.Equal(1, done.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Enqueue_takes_job_options_and_refuses_an_unknown_name_a_bad_payload_and_a_body_that_is_not_json()
    {
        await using var server = await ApiServer.StartAsync();

        var (status, body) = await server.PostAsync("/api/jobs", """{"name":"work","payload":{"key":"later"},"options":{"queue":"held","delay":"00:05:00","priority":7,"uniqueKey":"u-1"}}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var job = await server.Jobs.GetAsync(new JobId(body.GetProperty("id").GetInt64()));
        Assert.Equal(("held", JobState.Scheduled, 7, "u-1", ApiServer.T0.AddMinutes(5)), (job!.Queue, job.State, job.Priority, job.UniqueKey, job.RunAt));
        Assert.Equal("""{"key":"later"}""", Encoding.UTF8.GetString(job.Payload.Span));

        AssertProblem(await server.PostAsync("/api/jobs", """{"name":"no-such-job","payload":{}}"""), HttpStatusCode.NotFound, "'no-such-job'");
        AssertProblem(await server.PostAsync("/api/jobs", """{"payload":{}}"""), HttpStatusCode.BadRequest, "must name the job");
        AssertProblem(await server.PostAsync("/api/jobs", """{"name":"work","payload":{"mode":"x"}}"""), HttpStatusCode.BadRequest,
            "payload of job 'work' cannot be read as TaskRunner.Tests.Support.Work", "key");
        AssertProblem(await server.PostAsync("/api/jobs", """{"name":"work"}"""), HttpStatusCode.BadRequest, "payload of job 'work'");
        AssertProblem(await server.PostAsync("/api/jobs", """{"name":"work","payload":"""), HttpStatusCode.BadRequest, "cannot be read as an enqueue request");
        AssertProblem(await server.PostAsync("/api/jobs", """{"name":"work","payload":{"key":"k"},"options":{"queue":""}}"""), HttpStatusCode.BadRequest, "Queue name ''");

        using var form = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new StringContent("name=work", Encoding.UTF8, "text/plain") };
        form.Headers.Add("X-TaskRunner-Action", "1");
        using var formResponse = await server.Client.SendAsync(form);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode); // routing: the endpoint accepts only JSON
        Assert.Equal(1, (await server.Jobs.CountAsync()).Total);
    }

    [Fact]
    public async Task Cancel_cancels_a_waiting_job_and_answers_409_once_finished_404_when_unknown_400_for_a_bad_id()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await ApiReadTests.SeedStatesAsync(server.Store);

        var (status, body) = await server.PostAsync($"/api/jobs/{ids[JobState.Pending]}/cancel");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Cancelled", body.GetProperty("outcome").GetString());
        Assert.Equal(JobState.Cancelled, (await server.Jobs.GetAsync(ids[JobState.Pending]))!.State);

        var (runningStatus, running) = await server.PostAsync($"/api/jobs/{ids[JobState.Running]}/cancel");
        Assert.Equal(HttpStatusCode.OK, runningStatus);
        Assert.Equal("CancellationRequested", running.GetProperty("outcome").GetString());
        Assert.True((await server.Jobs.GetAsync(ids[JobState.Running]))!.CancellationRequested);

        AssertProblem(await server.PostAsync($"/api/jobs/{ids[JobState.Succeeded]}/cancel"), HttpStatusCode.Conflict, "already finished");
        AssertProblem(await server.PostAsync("/api/jobs/4242/cancel"), HttpStatusCode.NotFound, "4242");
        AssertProblem(await server.PostAsync("/api/jobs/nope/cancel"), HttpStatusCode.BadRequest, "'nope' is not a job id");
    }

    [Fact]
    public async Task Requeue_puts_a_dead_letter_back_to_pending_and_refuses_other_states_with_409()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await ApiReadTests.SeedStatesAsync(server.Store);

        var (status, body) = await server.PostAsync($"/api/jobs/{ids[JobState.DeadLettered]}/requeue");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Requeued", body.GetProperty("outcome").GetString());
        var job = (await server.Jobs.GetAsync(ids[JobState.DeadLettered]))!;
        Assert.Equal((JobState.Pending, 0), (job.State, job.Attempts));
        AssertProblem(await server.PostAsync($"/api/jobs/{ids[JobState.Succeeded]}/requeue"), HttpStatusCode.Conflict, "is Succeeded", "only a dead-lettered job");
        AssertProblem(await server.PostAsync("/api/jobs/4242/requeue"), HttpStatusCode.NotFound, "4242");
    }

    [Fact]
    public async Task Delete_removes_a_finished_job_and_refuses_a_live_one_with_409_an_unknown_one_with_404()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await ApiReadTests.SeedStatesAsync(server.Store);

        foreach (var state in new[] { JobState.Succeeded, JobState.DeadLettered, JobState.Cancelled })
        {
            var (status, body) = await server.PostAsync($"/api/jobs/{ids[state]}/delete");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(("Deleted", ids[state].Value), (body.GetProperty("outcome").GetString(), body.GetProperty("id").GetInt64()));
            Assert.Null(await server.Jobs.GetAsync(ids[state]));
            Assert.Equal(HttpStatusCode.NotFound, (await server.GetAsync($"/api/jobs/{ids[state]}")).Status);
        }

        AssertProblem(await server.PostAsync($"/api/jobs/{ids[JobState.Running]}/delete"), HttpStatusCode.Conflict, "is Running", "cancel it first");
        Assert.Equal(JobState.Running, (await server.Jobs.GetAsync(ids[JobState.Running]))!.State);
        AssertProblem(await server.PostAsync($"/api/jobs/{ids[JobState.Succeeded]}/delete"), HttpStatusCode.NotFound, $"{ids[JobState.Succeeded]}");
        AssertProblem(await server.PostAsync("/api/jobs/nope/delete"), HttpStatusCode.BadRequest, "'nope' is not a job id");
        Assert.Equal(HttpStatusCode.Forbidden, (await server.PostAsync($"/api/jobs/{ids[JobState.Running]}/delete", actionHeader: false)).Status);
    }

    [Fact]
    public async Task A_recurring_job_can_be_triggered_paused_and_resumed_and_an_unknown_one_is_404()
    {
        await using var server = await ApiServer.StartAsync();
        var recurring = server.Services.GetRequiredService<IRecurringJobs>();
        await ApiReadTests.WaitForScheduleAsync(recurring, "nightly-report");

        var (pauseStatus, paused) = await server.PostAsync("/api/recurring/nightly-report/pause");
        Assert.Equal(HttpStatusCode.OK, pauseStatus);
        Assert.Equal("Paused", paused.GetProperty("outcome").GetString());
        Assert.True((await recurring.GetAsync("nightly-report"))!.Schedule.Paused);
        var (_, list) = await server.GetAsync("/api/recurring");
        Assert.True(list[0].GetProperty("paused").GetBoolean());

        var (triggerStatus, triggered) = await server.PostAsync("/api/recurring/nightly-report/trigger");
        Assert.Equal(HttpStatusCode.Accepted, triggerStatus);
        var job = await server.Jobs.WaitForJobAsync(new JobId(triggered.GetProperty("jobId").GetInt64())).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("work", JobState.Succeeded), (job.Name, job.State));

        var (resumeStatus, _) = await server.PostAsync("/api/recurring/nightly-report/resume");
        Assert.Equal(HttpStatusCode.OK, resumeStatus);
        Assert.False((await recurring.GetAsync("nightly-report"))!.Schedule.Paused);

        foreach (var action in new[] { "pause", "resume", "trigger" })
        {
            AssertProblem(await server.PostAsync($"/api/recurring/no-such/{action}"), HttpStatusCode.NotFound, "'no-such'");
        }
    }

    [Fact]
    public async Task A_queue_is_paused_and_resumed_in_this_process_and_an_unserved_queue_is_404()
    {
        await using var server = await ApiServer.StartAsync();
        var control = server.Services.GetRequiredService<IQueueControl>();

        var (status, body) = await server.PostAsync("/api/queues/mail/pause");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("paused").GetBoolean());
        Assert.True(control.IsPaused("mail"));
        var (_, queues) = await server.GetAsync("/api/queues");
        Assert.True(queues.EnumerateArray().Single(q => q.GetProperty("name").GetString() == "mail").GetProperty("paused").GetBoolean());

        var (resumeStatus, resumed) = await server.PostAsync("/api/queues/mail/resume");
        Assert.Equal(HttpStatusCode.OK, resumeStatus);
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        Assert.False(control.IsPaused("mail"));

        AssertProblem(await server.PostAsync("/api/queues/held/pause"), HttpStatusCode.NotFound, "held");
    }

    [Fact]
    public async Task A_host_without_workers_enqueues_and_reads_but_has_no_queue_to_pause()
    {
        await using var server = await ApiServer.StartAsync(worker: false);

        var (status, body) = await server.PostAsync("/api/jobs", """{"name":"work","payload":{"key":"from-client"}}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var (_, job) = await server.GetAsync($"/api/jobs/{body.GetProperty("id").GetInt64()}");
        Assert.Equal("Pending", job.GetProperty("state").GetString()); // nobody here runs it
        var (_, queues) = await server.GetAsync("/api/queues");
        Assert.All(queues.EnumerateArray(), q => Assert.Equal(JsonValueKind.Null, q.GetProperty("paused").ValueKind));
        var (_, nodes) = await server.GetAsync("/api/nodes");
        Assert.Empty(nodes.EnumerateArray());
        AssertProblem(await server.PostAsync("/api/queues/mail/pause"), HttpStatusCode.NotFound, "runs no workers");
    }
}
