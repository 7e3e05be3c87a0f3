using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TaskRunner.AspNetCore;
using static TaskRunner.Tests.AspNetCore.ApiCalls;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>The JSON API's guards: local-only by default, authorization policy, read-only mode, actions protected from
/// cross-site requests, and hostile values returned as JSON-escaped data.</summary>
public sealed class ApiSecurityTests
{
    private static readonly IPAddress Remote = IPAddress.Parse("203.0.113.9");

    [Fact]
    public async Task Without_a_policy_a_remote_caller_is_refused_403_for_reads_and_actions_and_it_is_logged()
    {
        await using var server = await ApiServer.StartAsync();
        server.RemoteIp = Remote;

        AssertProblem(await server.GetAsync("/api/counts"), HttpStatusCode.Forbidden, "only requests from this machine", "AuthorizationPolicy");
        AssertProblem(await server.GetAsync("/api/jobs/1"), HttpStatusCode.Forbidden, "only requests from this machine");
        AssertProblem(await server.PostAsync("/api/jobs", """{"name":"work","payload":{"key":"k"}}"""), HttpStatusCode.Forbidden, "only requests from this machine");
        Assert.Equal(0, (await server.Jobs.CountAsync()).Total);
        Assert.Contains(server.Logs.Entries, e => e.Category == "TaskRunner.Api" && e.Level == LogLevel.Warning && e.Message.Contains("203.0.113.9", StringComparison.Ordinal));

        server.RemoteIp = IPAddress.IPv6Loopback;
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/api/counts")).Status);
        server.RemoteIp = IPAddress.Parse("::ffff:127.0.0.1");
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/api/counts")).Status);
    }

    [Fact]
    public async Task With_a_policy_remote_callers_need_to_satisfy_it()
    {
        await using var server = await ApiServer.StartAsync(o => o.AuthorizationPolicy = "operators");
        server.RemoteIp = Remote;

        using var anonymous = await server.Client.GetAsync("/api/counts");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/counts");
        request.Headers.Add("X-Api-Key", ApiServer.ApiKey);
        using var authenticated = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
    }

    [Fact]
    public async Task Allowing_remote_callers_opens_the_api_without_a_policy()
    {
        await using var server = await ApiServer.StartAsync(o => o.AllowRemoteCallers = true);
        server.RemoteIp = Remote;

        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/api/counts")).Status);
    }

    [Fact]
    public async Task A_read_only_api_serves_reads_and_refuses_every_action_with_403()
    {
        await using var server = await ApiServer.StartAsync(o => o.ReadOnly = true);
        var ids = await ApiReadTests.SeedStatesAsync(server.Store);

        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/api/jobs")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync($"/api/jobs/{ids[JobState.Pending]}")).Status);
        foreach (var path in new[] { "/api/jobs", $"/api/jobs/{ids[JobState.Pending]}/cancel", $"/api/jobs/{ids[JobState.DeadLettered]}/requeue",
            "/api/recurring/nightly-report/trigger", "/api/recurring/nightly-report/pause", "/api/queues/mail/pause" })
        {
            AssertProblem(await server.PostAsync(path, """{"name":"work","payload":{"key":"k"}}"""), HttpStatusCode.Forbidden, "read-only");
        }

        Assert.Equal(JobState.Pending, (await server.Jobs.GetAsync(ids[JobState.Pending]))!.State);
        Assert.Equal(JobState.DeadLettered, (await server.Jobs.GetAsync(ids[JobState.DeadLettered]))!.State);
        Assert.Equal(7, (await server.Jobs.CountAsync()).Total);
    }

    [Fact]
    public async Task An_action_without_the_action_header_or_marked_cross_site_is_refused_403_and_changes_nothing()
    {
        await using var server = await ApiServer.StartAsync();
        var ids = await ApiReadTests.SeedStatesAsync(server.Store);

        AssertProblem(await server.PostAsync($"/api/jobs/{ids[JobState.Pending]}/cancel", actionHeader: false), HttpStatusCode.Forbidden, TaskRunnerApiOptions.ActionHeader);

        // What a cross-site form can send: a simple content type, no custom header.
        using var form = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = new FormUrlEncodedContent([new("name", "work")]),
        };
        using var formResponse = await server.Client.SendAsync(form);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode); // routing: the enqueue accepts only JSON
        using var formCancel = new HttpRequestMessage(HttpMethod.Post, $"/api/jobs/{ids[JobState.Pending]}/cancel")
        {
            Content = new FormUrlEncodedContent([new("confirm", "yes")]),
        };
        using var formCancelResponse = await server.Client.SendAsync(formCancel);
        AssertProblem((formCancelResponse.StatusCode, await BodyAsync(formCancelResponse)), HttpStatusCode.Forbidden, "same site");

        // A browser's own mark of another site's request wins even if a header got through.
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, $"/api/jobs/{ids[JobState.Pending]}/cancel");
        crossSite.Headers.Add(TaskRunnerApiOptions.ActionHeader, "1");
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var crossSiteResponse = await server.Client.SendAsync(crossSite);
        Assert.Equal(HttpStatusCode.Forbidden, crossSiteResponse.StatusCode);

        Assert.Equal(JobState.Pending, (await server.Jobs.GetAsync(ids[JobState.Pending]))!.State);
        Assert.Equal(7, (await server.Jobs.CountAsync()).Total);
    }

    [Fact]
    public async Task Hostile_names_payloads_tags_progress_and_errors_come_back_as_escaped_json_data()
    {
        const string Script = "</script><script>alert('x')</script>";
        const string Quote = "\"},\"state\":\"Succeeded\",\"x\":{\"";
        await using var server = await ApiServer.StartAsync();
        var name = "<img src=x onerror=alert(1)>" + Quote;
        var payload = JsonSerializer.SerializeToUtf8Bytes(new { html = Script, quote = Quote, line = "a\r\nb\u2028c\0d" });
        var id = (await server.Store.EnqueueAsync([new NewJob
        {
            Name = name, Queue = "held&<q>", Payload = payload, RunAt = ApiServer.T0, MaxAttempts = 1, Tags = [Script, Quote],
        }], ApiServer.T0))[0].Id;
        var claimed = (await server.Store.ClaimAsync(new ClaimRequest { Queue = "held&<q>", MaxCount = 1, Owner = Script, Now = ApiServer.T0, LeaseDuration = TimeSpan.FromMinutes(1) }))[0];
        await server.Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(id, claimed.LeaseToken), Percent = 10, Message = Script, Now = ApiServer.T0 });
        await server.Store.CompleteAsync(new CompleteRequest
        {
            Completions = [JobCompletion.DeadLettered(id, claimed.LeaseToken, new JobError(Script, Quote + "\n" + Script, "at <b>Evil</b>()"))],
            Now = ApiServer.T0,
        });

        using var response = await server.Client.GetAsync($"/api/jobs/{id}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("<", text, StringComparison.Ordinal); // escaped as \u003C: inert even if pasted into HTML
        Assert.DoesNotContain(">", text, StringComparison.Ordinal);
        var job = JsonDocument.Parse(text).RootElement;
        Assert.Equal("DeadLettered", job.GetProperty("state").GetString()); // the quote in the name did not add a property
        Assert.Equal(name, job.GetProperty("name").GetString());
        Assert.Equal("held&<q>", job.GetProperty("queue").GetString());
        Assert.Equal(Script, job.GetProperty("payload").GetProperty("html").GetString());
        Assert.Equal(Quote, job.GetProperty("payload").GetProperty("quote").GetString());
        Assert.Equal("a\r\nb\u2028c\0d", job.GetProperty("payload").GetProperty("line").GetString());
        Assert.Equal([Script, Quote], job.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(Script, job.GetProperty("owner").GetString());
        Assert.Equal(Script, job.GetProperty("progressMessage").GetString());
        Assert.Equal(Quote + "\n" + Script, job.GetProperty("lastError").GetProperty("message").GetString());
        Assert.Equal("at <b>Evil</b>()", job.GetProperty("lastError").GetProperty("stackTrace").GetString());

        // The same data through the list and a filter on the hostile name.
        var (status, page) = await server.GetAsync("/api/jobs?name=" + Uri.EscapeDataString(name));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(name, Assert.Single(page.GetProperty("jobs").EnumerateArray()).GetProperty("name").GetString());

        // A hostile value in a bad filter is named in the problem as data.
        var (badStatus, problem) = await server.GetAsync("/api/jobs?state=" + Uri.EscapeDataString(Script));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains(Script, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api")]
    [InlineData("/api/{id}")]
    [InlineData("/api?x")]
    public void A_bad_prefix_is_refused_naming_it(string prefix)
    {
        var app = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder().Build();
        var ex = Assert.Throws<ArgumentException>(() => Microsoft.AspNetCore.Builder.TaskRunnerApiEndpointRouteBuilderExtensions.MapTaskRunnerApi(app, prefix));
        Assert.Contains($"'{prefix}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_option_is_refused_naming_it()
    {
        var app = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder().Build();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Microsoft.AspNetCore.Builder.TaskRunnerApiEndpointRouteBuilderExtensions.MapTaskRunnerApi(app, "/api", o => o.UpcomingOccurrences = 101));
        Assert.Contains("UpcomingOccurrences is 101", ex.Message, StringComparison.Ordinal);
    }
}
