using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TaskRunner.Tests.MultiProcess;
using static Microsoft.Playwright.Assertions;

namespace TaskRunner.Tests.Browser;

/// <summary>The dashboard of samples/WebDashboard running as a real OS process (its own SQLite file, a free port), opened
/// in Chromium the way a user opens it: from the site's root, to the seeded work, a job's live page, the dead letter the
/// sample always produces, requeued from the page, and a recurring job paused and resumed.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SampleDashboardBrowserTests(Chromium chromium) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", "sample-dashboard-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_samples_dashboard_shows_its_work_and_requeues_its_dead_letter_and_pauses_a_schedule()
    {
        Directory.CreateDirectory(_directory);
        using var sample = WorkerProcess.StartSample("WebDashboard",
            "--db", Path.Combine(_directory, "dashboard.db"), "--urls", "http://127.0.0.1:0", "--Webhooks:Secret", "browser-test");
        var ready = await sample.WaitForLineAsync(line => line.StartsWith("ready http", StringComparison.Ordinal), Patience);
        var address = ready["ready ".Length..];
        var deadLine = await sample.WaitForLineAsync(line => line.StartsWith("deadlettered ", StringComparison.Ordinal) && line.EndsWith(" sync-inventory", StringComparison.Ordinal), Patience);
        var deadId = deadLine.Split(' ')[1];

        var page = await chromium.NewPageAsync();
        await page.GotoAsync(address + "/");
        await Expect(page).ToHaveURLAsync(new Regex("/taskrunner/$"));
        await Expect(page.Locator("#count-deadLettered")).Not.ToHaveTextAsync("0");
        await Expect(page.Locator("#count-succeeded")).Not.ToHaveTextAsync("0");

        await page.Locator("#nav a[data-page=deadletters]").ClickAsync();
        var row = page.Locator("#deadletters tbody tr", new() { HasText = "sync-inventory" }).Filter(new() { Has = page.Locator($"input[data-id='{deadId}']") });
        await Expect(row).ToHaveCountAsync(1);
        await row.Locator("button[data-action=requeue]").ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync($"1 job {deadId} requeued.");
        // The sample's worker runs it again: its sync fails at random (the seeded 'discontinued-skus' always), so it ends
        // succeeded or dead-lettered once more, and the job's page shows that outcome.
        var deadLetterings = 0;
        var outcome = await sample.WaitForLineAsync(
            line => line == $"succeeded {deadId} sync-inventory" || (line == $"deadlettered {deadId} sync-inventory" && ++deadLetterings == 2), Patience);

        await page.GotoAsync(address + $"/taskrunner/#/jobs/{deadId}");
        await Expect(page.Locator("#job-state")).ToHaveTextAsync(outcome.StartsWith("succeeded", StringComparison.Ordinal) ? "Succeeded" : "DeadLettered");

        await page.Locator("#nav a[data-page=recurring]").ClickAsync();
        var schedule = page.Locator("#recurring tr", new() { HasText = "hourly-sync" });
        await schedule.Locator("button[data-action=pause]").ClickAsync();
        await Expect(schedule.Locator(".paused")).ToHaveTextAsync("paused");
        await schedule.Locator("button[data-action=resume]").ClickAsync();
        await Expect(schedule.Locator(".paused")).ToHaveTextAsync("active");
        Assert.Empty(chromium.Dialogs);

        await sample.KillAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A process still holding the file only leaves a temp directory behind.
        }
    }
}
