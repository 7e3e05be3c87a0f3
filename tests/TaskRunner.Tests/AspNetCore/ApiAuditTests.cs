using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>The audit log of <c>MapTaskRunnerApi</c>'s actions: one structured entry in the category
/// <c>TaskRunner.AspNetCore.Audit</c> per action request, done, not applicable or refused, and none for reads.</summary>
public sealed class ApiAuditTests
{
    private const string Category = "TaskRunner.AspNetCore.Audit";

    private static List<RecordingLoggerProvider.Entry> Audit(ApiServer server) =>
        [.. server.Logs.Entries.Where(e => e.Category == Category)];

    /// <summary>The one audit entry written since <paramref name="before"/> entries, with its values as text.</summary>
    private static (LogLevel Level, string Action, string Kind, string? Target, string Outcome, int Status, string? User, string? Remote) Single(ApiServer server, int before)
    {
        var entry = Assert.Single(Audit(server).Skip(before));
        var p = entry.Properties;
        return (entry.Level, (string)p["Action"]!, (string)p["TargetKind"]!, (string?)p["Target"], (string)p["Outcome"]!, (int)p["StatusCode"]!,
            (string?)p["User"], (string?)p["RemoteAddress"]);
    }

    private static async Task<(LogLevel Level, string Action, string Kind, string? Target, string Outcome, int Status, string? User, string? Remote)> PostAndReadAsync(
        ApiServer server, string path, string? json = null, bool actionHeader = true)
    {
        var before = Audit(server).Count;
        await server.PostAsync(path, json, actionHeader);
        return Single(server, before);
    }

    [Fact]
    public async Task Every_action_writes_one_entry_naming_the_action_its_target_the_outcome_and_the_caller()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await ApiReadTests.SeedStatesAsync(server.Store);
        await ApiReadTests.WaitForScheduleAsync(server.Services.GetRequiredService<IRecurringJobs>(), "nightly-report");
        const string Local = "127.0.0.1";

        var enqueue = await PostAndReadAsync(server, "/api/jobs", """{"name":"work","payload":{"key":"a"},"options":{"queue":"held"}}""");
        var newId = Assert.Single(await server.Jobs.ListAsync(new JobQuery { Queue = "held" })).Id.ToString();
        Assert.Equal((LogLevel.Information, "Enqueue", "job", newId, "Enqueued", 201, null, Local), enqueue);

        Assert.Equal((LogLevel.Information, "CancelJob", "job", $"{ids[JobState.Pending]}", "Cancelled", 200, null, Local),
            await PostAndReadAsync(server, $"/api/jobs/{ids[JobState.Pending]}/cancel"));
        Assert.Equal((LogLevel.Information, "RequeueJob", "job", $"{ids[JobState.DeadLettered]}", "Requeued", 200, null, Local),
            await PostAndReadAsync(server, $"/api/jobs/{ids[JobState.DeadLettered]}/requeue"));
        Assert.Equal((LogLevel.Information, "DeleteJob", "job", $"{ids[JobState.Succeeded]}", "Deleted", 200, null, Local),
            await PostAndReadAsync(server, $"/api/jobs/{ids[JobState.Succeeded]}/delete"));
        Assert.Equal((LogLevel.Information, "PauseRecurringJob", "schedule", "nightly-report", "Paused", 200, null, Local),
            await PostAndReadAsync(server, "/api/recurring/nightly-report/pause"));
        Assert.Equal((LogLevel.Information, "ResumeRecurringJob", "schedule", "nightly-report", "Resumed", 200, null, Local),
            await PostAndReadAsync(server, "/api/recurring/nightly-report/resume"));
        Assert.Equal((LogLevel.Information, "TriggerRecurringJob", "schedule", "nightly-report", "Triggered", 202, null, Local),
            await PostAndReadAsync(server, "/api/recurring/nightly-report/trigger"));
        Assert.Equal((LogLevel.Information, "PauseQueue", "queue", "mail", "Paused", 200, null, Local),
            await PostAndReadAsync(server, "/api/queues/mail/pause"));
        Assert.Equal((LogLevel.Information, "ResumeQueue", "queue", "mail", "Resumed", 200, null, Local),
            await PostAndReadAsync(server, "/api/queues/mail/resume"));

        // The dashboard's bulk actions name the jobs given and what became of them.
        Assert.Equal((LogLevel.Information, "RequeueDeadLetters", "jobs", $"{ids[JobState.Running]},4242", "Requeued 0, skipped 2", 200, null, Local),
            await PostAndReadAsync(server, "/api/deadletters/requeue", $$"""{"ids":[{{ids[JobState.Running]}},4242]}"""));
        Assert.Equal((LogLevel.Information, "PurgeDeadLetters", "dead letters", "all", "Purged 0", 200, null, Local),
            await PostAndReadAsync(server, "/api/deadletters/purge"));

        // Actions that do not apply are audited with the problem's title and status.
        Assert.Equal((LogLevel.Information, "DeleteJob", "job", $"{ids[JobState.Running]}", "Job not finished", 409, null, Local),
            await PostAndReadAsync(server, $"/api/jobs/{ids[JobState.Running]}/delete"));
        Assert.Equal((LogLevel.Information, "CancelJob", "job", "4242", "Job not found", 404, null, Local),
            await PostAndReadAsync(server, "/api/jobs/4242/cancel"));
        Assert.Equal((LogLevel.Information, "PauseRecurringJob", "schedule", "no-such", "Schedule not found", 404, null, Local),
            await PostAndReadAsync(server, "/api/recurring/no-such/pause"));
        Assert.Equal((LogLevel.Information, "Enqueue", "job", null, "Unknown job name", 404, null, Local),
            await PostAndReadAsync(server, "/api/jobs", """{"name":"no-such-job","payload":{}}"""));

        // Reads are not actions: no entry.
        var before = Audit(server).Count;
        await server.GetAsync("/api/jobs");
        await server.GetAsync($"/api/jobs/{ids[JobState.Running]}");
        Assert.Equal(before, Audit(server).Count);
        Assert.Contains(Audit(server), e => e.Message.Contains("TaskRunner API action CancelJob on job 4242: Job not found (404)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refused_actions_are_audited_as_warnings_read_only_cross_site_and_remote()
    {
        await using (var readOnly = await ApiServer.StartAsync(o => o.ReadOnly = true))
        {
            Assert.Equal((LogLevel.Warning, "CancelJob", "job", "1", "The TaskRunner API is read-only", 403, null, "127.0.0.1"),
                await PostAndReadAsync(readOnly, "/api/jobs/1/cancel"));
        }

        await using var server = await ApiServer.StartAsync();
        Assert.Equal((LogLevel.Warning, "PauseQueue", "queue", "mail", "Cross-site request refused", 403, null, "127.0.0.1"),
            await PostAndReadAsync(server, "/api/queues/mail/pause", actionHeader: false));

        var before = Audit(server).Count;
        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/recurring/nightly-report/trigger"))
        {
            crossSite.Headers.Add("X-TaskRunner-Action", "1");
            crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
            using var response = await server.Client.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Equal((LogLevel.Warning, "TriggerRecurringJob", "schedule", "nightly-report", "Cross-site request refused", 403, null, "127.0.0.1"), Single(server, before));

        server.RemoteIp = IPAddress.Parse("203.0.113.9");
        Assert.Equal((LogLevel.Warning, "RequeueJob", "job", "7", "The TaskRunner API is local-only", 403, null, "203.0.113.9"),
            await PostAndReadAsync(server, "/api/jobs/7/requeue"));
    }

    [Fact]
    public async Task An_authenticated_callers_name_is_audited()
    {
        await using var server = await ApiServer.StartAsync(o => o.AuthorizationPolicy = "operators");
        server.RemoteIp = IPAddress.Parse("198.51.100.4");
        var before = Audit(server).Count;

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/queues/mail/pause");
        request.Headers.Add("X-TaskRunner-Action", "1");
        request.Headers.Add("X-Api-Key", ApiServer.ApiKey);
        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((LogLevel.Information, "PauseQueue", "queue", "mail", "Paused", 200, "operator", "198.51.100.4"), Single(server, before));
    }
}
