using Microsoft.Extensions.Diagnostics.HealthChecks;
using TaskRunner.Extraction;

namespace TaskRunner.Tests.Extraction;

public sealed class ExtractionObservabilityTests : IDisposable
{
    private readonly TestTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task Counters_report_events_extractions_skips_removals_and_rescans()
    {
        _tree.Write("kept.txt", "kept");
        await using var host = await ExtractionHost.StartAsync(_tree);
        await host.SettleAsync(() => host.View.Find("kept.txt") is not null);

        _tree.Write("new.txt", "new");
        await host.SettleAsync(() => host.View.Find("new.txt") is not null);
        _tree.Delete("new.txt");
        await host.SettleAsync(() => host.View.Find("new.txt") is null);
        host.View.RequestRescan();
        await host.SettleAsync(() => host.Counts["taskrunner.extraction.rescans", "reason", "request"] == 1);

        const string Prefix = "taskrunner.extraction.";
        Assert.Equal(2, host.Counts[Prefix + "extractions"]);
        Assert.Equal(1, host.Counts[Prefix + "removed"]);
        Assert.Equal(1, host.Counts[Prefix + "rescans", "reason", "start"]);
        Assert.True(host.Counts[Prefix + "events", "kind", "Created"] >= 1);
        Assert.True(host.Counts[Prefix + "events", "kind", "Deleted"] >= 1);
        Assert.Equal(0, host.Counts[Prefix + "failures"]);
        Assert.Equal(2, host.Counts["taskrunner.extraction.extractions", "pipeline", "docs"]);
    }

    [Fact]
    public async Task Health_is_healthy_while_watching_and_degraded_once_a_dead_watcher_fell_back_to_polling()
    {
        await using var host = await ExtractionHost.StartAsync(_tree);
        var check = new FileExtractionHealthCheck([host.View]);

        var healthy = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(true, healthy.Data["docs.watcherAlive"]);
        Assert.True(healthy.Data.ContainsKey("docs.lastRescan"));

        // The watcher dies: a rescan reconciles what it may have missed, and polling takes over.
        var rescans = host.Counts["taskrunner.extraction.rescans"];
        host.Pipeline.Source.SimulateFailure();
        await host.SettleAsync(() => host.View.Polling && host.View.WatcherAlive && host.Counts["taskrunner.extraction.rescans"] > rescans);

        var degraded = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("docs", degraded.Description, StringComparison.Ordinal);

        // Polling still finds changes.
        _tree.Write("after.txt", "found by polling");
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await host.SettleAsync(() => host.View.Find("after.txt") is not null);
    }
}
