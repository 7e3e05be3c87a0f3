using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TaskRunner.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace TaskRunner.Tests.Browser;

/// <summary>The dashboard in Debian's Chromium against a real Kestrel server over a real SQLite file with a worker. Page
/// state is awaited with Playwright's auto-waiting expectations; the page polls the API (every 2 s by default, 250 ms
/// here) so every change below is seen without a reload.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardBrowserTests(Chromium chromium)
{
    /// <summary>Markup that would create an element and run script if any value reached the DOM as HTML.</summary>
    private const string Hostile = "<img src=x onerror=\"window.__pwned=1;alert(1)\">";

    private static readonly Action<TaskRunner.AspNetCore.TaskRunnerDashboardOptions> Fast = o => o.PollInterval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Overview_ShowsCountsByStateAndThroughput()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("a")));
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("b")));
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("c", "throw"), new JobOptions { MaxAttempts = 1 }));
        await server.Jobs.EnqueueAsync("work", new Work("waiting"), new JobOptions { Queue = "held" });
        var page = await chromium.NewPageAsync();

        await page.GotoAsync(server.Page());

        await Expect(page.Locator("#count-succeeded")).ToHaveTextAsync("2");
        await Expect(page.Locator("#count-deadLettered")).ToHaveTextAsync("1");
        await Expect(page.Locator("#count-pending")).ToHaveTextAsync("1");
        await Expect(page.Locator("#count-running")).ToHaveTextAsync("0");
        // The jobs finished at the fake clock's now: the last (open) bucket of the chart holds them.
        await Expect(page.Locator("#throughput svg g title").Last).ToHaveTextAsync(new Regex(": 2 succeeded, 1 failed$"));
        await Expect(page.Locator("#throughput .legend")).ToContainTextAsync("succeeded (2)");
        // Counts per queue, including one no worker serves.
        await Expect(page.Locator("main table tr", new() { HasText = "held" })).ToContainTextAsync("1");

        // Live: a new success is counted without a reload.
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("d")));
        await Expect(page.Locator("#count-succeeded")).ToHaveTextAsync("3");
    }

    [Fact]
    public async Task Jobs_NewJobAppearsAndItsProgressMovesLive()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(server.Page("#/jobs"));
        await Expect(page.Locator("#jobs")).ToContainTextAsync("No job matches.");

        var id = await server.Jobs.EnqueueAsync("steps", new Steps("upload"));
        await server.Probe.StartedGate("upload").Task;
        var row = page.Locator("#jobs tr", new() { HasText = "steps" });
        await Expect(row).ToContainTextAsync("Running");
        await Expect(row).ToContainTextAsync("10 %");

        await row.GetByRole(AriaRole.Link, new() { Name = id.ToString() }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"#/jobs/{id}$"));
        await Expect(page.Locator("#progress-text")).ToHaveTextAsync("10 %");
        await Expect(page.Locator("#progress-message")).ToHaveTextAsync("step 1 of 2");
        await Expect(page.Locator("#payload")).ToContainTextAsync("\"key\": \"upload\"");

        server.Probe.ReleaseGate("upload/1").Open();
        await Expect(page.Locator("#progress-text")).ToHaveTextAsync("60 %");
        await Expect(page.Locator("#progress-message")).ToHaveTextAsync("step 2 of 2");
        await Expect(page.Locator("#progress")).ToHaveAttributeAsync("value", "60");

        server.Probe.ReleaseGate("upload/2").Open();
        await Expect(page.Locator("#job-state")).ToHaveTextAsync("Succeeded");
        await Expect(page.Locator("#result")).ToContainTextAsync("\"steps\": 2");
    }

    [Fact]
    public async Task Jobs_FilterByStateAndSearchById()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        var done = await server.Jobs.EnqueueAsync("work", new Work("done"), new JobOptions { Tags = ["blue"] });
        await server.Jobs.WaitForJobAsync(done);
        var waiting = await server.Jobs.EnqueueAsync("work", new Work("waiting"), new JobOptions { Queue = "held", Tags = ["red"] });
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(server.Page("#/jobs"));
        await Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(2);

        await page.Locator("#filters select[name=state]").SelectOptionAsync("Pending");
        await page.Locator("#filters button[type=submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/jobs\\?state=Pending$"));
        await Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#jobs tbody tr")).ToContainTextAsync("held");

        await page.GotoAsync(server.Page("#/jobs?tag=blue"));
        await Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#jobs tbody tr")).ToContainTextAsync("Succeeded");

        await page.Locator("#search input[name=id]").FillAsync(waiting.ToString());
        await page.Locator("#search button").ClickAsync();
        await Expect(page.Locator("#job-state")).ToHaveTextAsync("Pending");
    }

    [Fact]
    public async Task DeadLetters_RequeueOneAndSelectedAndPurgeFromThePage()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        var ids = new List<JobId>();
        foreach (var key in new[] { "one", "two", "three" })
        {
            var id = await server.Jobs.EnqueueAsync("work", new Work(key, "throw"), new JobOptions { MaxAttempts = 1 });
            Assert.Equal(JobState.DeadLettered, (await server.Jobs.WaitForJobAsync(id)).State);
            ids.Add(id);
        }

        // Requeued jobs must stay pending to be seen as requeued: this process stops claiming from their queue.
        await server.Services.GetRequiredService<IQueueControl>().PauseQueueAsync("default");
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(server.Page("#/deadletters"));
        await Expect(page.Locator("#deadletters tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Locator("#deadletters tbody tr").First).ToContainTextAsync("boom one");

        await page.Locator("#deadletters tr", new() { HasText = "boom one" }).Locator("button[data-action=requeue]").ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync($"1 job {ids[0]} requeued.");
        await Expect(page.Locator("#deadletters tbody tr")).ToHaveCountAsync(2);
        var requeued = await server.Jobs.GetAsync(ids[0]);
        Assert.Equal(JobState.Pending, requeued!.State);
        Assert.Equal(0, requeued.Attempts);

        await page.Locator($"#deadletters input[data-id='{ids[1]}']").CheckAsync();
        await Expect(page.Locator("#selected-count")).ToHaveTextAsync("1 selected");
        await page.Locator("button[data-action=requeue-selected]").ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync("1 selected job(s) requeued.");
        await Expect(page.Locator("#deadletters tbody tr")).ToHaveCountAsync(1);
        Assert.Equal(JobState.Pending, (await server.Jobs.GetAsync(ids[1]))!.State);

        // Purging asks first, in the page (no dialog).
        await Expect(page.Locator("button[data-action=purge-confirm]")).ToBeHiddenAsync();
        await page.Locator("button[data-action=purge]").ClickAsync();
        await Expect(page.Locator("button[data-action=purge-confirm]")).ToBeVisibleAsync();
        Assert.NotNull(await server.Jobs.GetAsync(ids[2]));
        await page.Locator("button[data-action=purge-confirm]").ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync("1 dead-lettered job(s) purged.");
        await Expect(page.Locator("#deadletters")).ToContainTextAsync("No dead letters.");
        Assert.Null(await server.Jobs.GetAsync(ids[2]));
        Assert.Equal(2, (await server.Jobs.CountAsync()).Pending);
    }

    [Fact]
    public async Task Recurring_PauseResumeAndTriggerFromThePage()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        var recurring = server.Services.GetRequiredService<IRecurringJobs>();
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(server.Page("#/recurring"));
        var row = page.Locator("#recurring tr", new() { HasText = "nightly-report" });
        await Expect(row.Locator(".paused")).ToHaveTextAsync("active");
        await Expect(row.Locator("li")).ToHaveCountAsync(5);

        await row.Locator("button[data-action=pause]").ClickAsync();
        await Expect(row.Locator(".paused")).ToHaveTextAsync("paused");
        Assert.True((await recurring.ListAsync()).Single(s => s.Schedule.Name == "nightly-report").Schedule.Paused);

        await row.Locator("button[data-action=resume]").ClickAsync();
        await Expect(row.Locator(".paused")).ToHaveTextAsync("active");
        Assert.False((await recurring.ListAsync()).Single(s => s.Schedule.Name == "nightly-report").Schedule.Paused);

        await row.Locator("button[data-action=trigger]").ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync(new Regex("^nightly-report triggered: job \\d+\\.$"));
        var triggered = (await server.Jobs.ListAsync(new JobQuery { JobName = "work" })).Single();
        Assert.Equal("nightly", (await server.Jobs.GetPayloadAsync<Work>(triggered.Id))!.Key);
    }

    [Fact]
    public async Task Queues_PauseAndResumeFromThePage()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        var control = server.Services.GetRequiredService<IQueueControl>();
        await server.Jobs.EnqueueAsync("work", new Work("waiting"), new JobOptions { Queue = "held" });
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(server.Page("#/queues"));
        var row = page.Locator("#queues tr", new() { HasText = "default" });
        await Expect(row).ToContainTextAsync("no");
        // A queue no worker here serves shows its depth, and no action.
        await Expect(page.Locator("#queues tr", new() { HasText = "held" }).Locator("td").Nth(1)).ToHaveTextAsync("1");
        await Expect(page.Locator("#queues tr", new() { HasText = "held" }).Locator("button")).ToHaveCountAsync(0);

        await row.Locator("button[data-action=pause]").ClickAsync();
        await Expect(row).ToContainTextAsync("paused");
        Assert.True(control.IsPaused("default"));

        await row.Locator("button[data-action=resume]").ClickAsync();
        await Expect(row.Locator("button[data-action=pause]")).ToBeVisibleAsync();
        Assert.False(control.IsPaused("default"));
    }

    [Fact]
    public async Task LocksAndNodes_ListWhatIsHeldAndWhoIsAlive()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        var nodeId = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TaskRunnerOptions>>().Value.NodeId;
        await using var held = await server.Services.GetRequiredService<IDistributedLockProvider>().TryAcquireAsync("nightly-export", TimeSpan.FromMinutes(5));
        Assert.NotNull(held);
        var page = await chromium.NewPageAsync();

        await page.GotoAsync(server.Page("#/locks"));
        await Expect(page.Locator("#locks tr", new() { HasText = "nightly-export" })).ToContainTextAsync(held.FencingToken.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await page.GotoAsync(server.Page("#/nodes"));
        await Expect(page.Locator("#nodes tbody tr", new() { HasText = nodeId })).ToContainTextAsync("default");
    }

    [Fact]
    public async Task HostileValues_AreShownAsTextAndNeverRun()
    {
        await using var server = await DashboardServer.StartAsync(Fast);
        // A job name the registration would refuse, written to the store as another process or an old version could.
        var payload = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { key = Hostile }));
        var stored = (await server.Store.EnqueueAsync([new NewJob { Name = Hostile, Queue = "held", Payload = payload, Tags = [Hostile], RunAt = server.Time.GetUtcNow() }], server.Time.GetUtcNow()))[0].Id;
        // A job whose payload, tag and error (message and stack) carry the markup.
        var failed = await server.Jobs.EnqueueAsync("work", new Work(Hostile, "throw"), new JobOptions { MaxAttempts = 1, Tags = [Hostile] });
        await server.Jobs.WaitForJobAsync(failed);
        var page = await chromium.NewPageAsync();
        var cspViolations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                cspViolations.Add(message.Text);
            }
        };

        await page.GotoAsync(server.Page("#/jobs"));
        await Expect(page.Locator("#jobs tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#jobs tbody tr").First).ToContainTextAsync(Hostile);

        await page.GotoAsync(server.Page($"#/jobs/{stored}"));
        await Expect(page.Locator("#job-name")).ToHaveTextAsync(Hostile);
        await Expect(page.Locator("#payload")).ToContainTextAsync(Hostile.Replace("\"", "\\\"", StringComparison.Ordinal));

        await page.GotoAsync(server.Page($"#/jobs/{failed}"));
        await Expect(page.Locator("#error-message")).ToHaveTextAsync("boom " + Hostile);
        await Expect(page.Locator("#error-stack")).ToContainTextAsync("boom " + Hostile);

        await page.GotoAsync(server.Page("#/deadletters"));
        await Expect(page.Locator("#deadletters tbody tr")).ToContainTextAsync("boom " + Hostile);

        // Nothing was parsed as markup: no element was created from the values, no script ran, no dialog opened.
        await Expect(page.Locator("img")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        Assert.Empty(chromium.Dialogs);
        Assert.Empty(cspViolations);
    }

    [Fact]
    public async Task ReadOnly_ShowsNoActions()
    {
        await using var server = await DashboardServer.StartAsync(o =>
        {
            Fast(o);
            o.Api.ReadOnly = true;
        });
        var failed = await server.Jobs.EnqueueAsync("work", new Work("x", "throw"), new JobOptions { MaxAttempts = 1 });
        await server.Jobs.WaitForJobAsync(failed);
        var page = await chromium.NewPageAsync();

        await page.GotoAsync(server.Page("#/deadletters"));
        await Expect(page.Locator("#mode")).ToBeVisibleAsync();
        await Expect(page.Locator("#deadletters tbody tr")).ToContainTextAsync("boom x");
        await Expect(page.Locator("main button, main input[type=checkbox]")).ToHaveCountAsync(0);

        await page.GotoAsync(server.Page($"#/jobs/{failed}"));
        await Expect(page.Locator("#job-state")).ToHaveTextAsync("DeadLettered");
        await Expect(page.Locator("main button")).ToHaveCountAsync(0);

        await page.GotoAsync(server.Page("#/recurring"));
        await Expect(page.Locator("#recurring tr", new() { HasText = "nightly-report" })).ToBeVisibleAsync();
        await Expect(page.Locator("main button")).ToHaveCountAsync(0);

        await page.GotoAsync(server.Page("#/queues"));
        await Expect(page.Locator("#queues tr", new() { HasText = "default" })).ToBeVisibleAsync();
        await Expect(page.Locator("main button")).ToHaveCountAsync(0);

        // The server refuses the action too, whatever a page sends.
        var answer = await page.EvaluateAsync<int>(
            "async () => (await fetch('api/jobs/" + failed + "/requeue', { method: 'POST', headers: { 'X-TaskRunner-Action': '1' } })).status");
        Assert.Equal(403, answer);
    }

    [Fact]
    public async Task RemoteCaller_IsRefusedWithoutAPolicy()
    {
        var address = DashboardServer.NonLoopbackAddress();
        await using var server = await DashboardServer.StartAsync(Fast, address);
        var page = await chromium.NewPageAsync();

        var response = await page.GotoAsync(server.RemoteUrl!.ToString());
        Assert.NotNull(response);
        Assert.Equal(403, response.Status);
        Assert.Contains("local-only", await response.TextAsync(), StringComparison.Ordinal);
        foreach (var path in new[] { "assets/app.js", "api/counts", "api/info" })
        {
            var other = await page.GotoAsync(new Uri(server.RemoteUrl!, path).ToString());
            Assert.Equal(403, other!.Status);
        }

        Assert.Contains(server.Logs.Entries, e => e.Message.Contains(address.ToString(), StringComparison.Ordinal));

        // The same browser on the loopback address is served.
        response = await page.GotoAsync(server.Page());
        Assert.Equal(200, response!.Status);
        await Expect(page.Locator("#count-succeeded")).ToHaveTextAsync("0");
    }

    [Fact]
    public async Task RemoteCaller_IsServedWhenTheHostAllowsIt()
    {
        var address = DashboardServer.NonLoopbackAddress();
        await using var server = await DashboardServer.StartAsync(o =>
        {
            Fast(o);
            o.Api.AllowRemoteCallers = true;
        }, address);
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("a")));
        var page = await chromium.NewPageAsync();

        var response = await page.GotoAsync(server.RemoteUrl!.ToString());

        Assert.Equal(200, response!.Status);
        await Expect(page.Locator("#count-succeeded")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task RemoteCaller_IsServedWhenItSatisfiesThePolicy()
    {
        var address = DashboardServer.NonLoopbackAddress();
        await using var server = await DashboardServer.StartAsync(o =>
        {
            Fast(o);
            o.Api.AuthorizationPolicy = "operators";
        }, address);
        await server.Jobs.WaitForJobAsync(await server.Jobs.EnqueueAsync("work", new Work("a")));
        var page = await chromium.NewPageAsync();

        // Without the key the server challenges (401 with no body, which Chromium will not show as a page).
        Assert.Equal(401, (await page.Context.APIRequest.GetAsync(server.RemoteUrl!.ToString())).Status);

        // The browser now sends the key with every request: the page, its assets and its API calls.
        await page.Context.SetExtraHTTPHeadersAsync(new Dictionary<string, string> { ["X-Api-Key"] = TaskRunner.Tests.AspNetCore.ApiServer.ApiKey });
        Assert.Equal(200, (await page.GotoAsync(server.RemoteUrl!.ToString()))!.Status);
        await Expect(page.Locator("#count-succeeded")).ToHaveTextAsync("1");
    }
}
