using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner.Diagnostics;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Hosting;

/// <summary>A rolling deploy on one SQLite file: an old worker without the new job type's handler leaves its jobs pending
/// (never dead-lettered), and the node registry, the monitor, the health check and a log warning name them until a
/// worker that has the handler runs them.</summary>
public sealed class RollingDeployTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));

    public RollingDeployTests() => Directory.CreateDirectory(_directory);

    private string DatabasePath => Path.Combine(_directory, "jobs.db");

    [Fact]
    public async Task An_old_worker_leaves_a_new_job_type_pending_while_health_names_it_until_a_new_worker_runs_it()
    {
        using var client = BuildClient();
        await client.StartAsync();
        var jobs = client.Services.GetRequiredService<IJobClient>();
        var resize = await jobs.EnqueueAsync(new Resize("cat.png"));
        var work = await jobs.EnqueueAsync(new Work("old"));

        var recorder = new RecordingLoggerProvider();
        await using var old = await RunnerHost.StartAsync(
            b => b.UseSqlite(DatabasePath).AddJob<WorkHandler, Work>("work").Configure(o => o.NodeId = "old-node"),
            services: s => s.AddSingleton<Probe>().AddLogging(l => l.AddProvider(recorder)).AddMetrics());

        // Its first poll claimed the job it can run and passed over the new type.
        await old.Events.WaitFor(JobEventKind.Succeeded, work);
        var runner = old.Services.GetRequiredService<JobRunner>();
        await runner.CheckNodesAsync();

        var waiting = await jobs.GetAsync(resize);
        Assert.Equal(JobState.Pending, waiting!.State);
        Assert.Equal(0, waiting.Attempts);

        var node = Assert.Single(await old.Services.GetRequiredService<INodeRegistry>().ListAsync());
        Assert.Equal("old-node", node.Id);
        Assert.Equal(["default"], node.Queues);
        Assert.Equal(["work"], node.JobNames);

        var unserved = Assert.Single(old.Monitor.UnservedWork);
        Assert.Equal(new UnservedWork("default", "resize", 1, QueueServed: true), unserved);
        var health = await new TaskRunnerHealthCheck(old.Monitor).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("job 'resize' in queue 'default' (1 pending): no live worker has its handler", health.Description, StringComparison.Ordinal);
        Assert.Equal([("default", "resize", 1L)], ReadUnservedGauge(old.Services));
        var warning = Assert.Single(recorder.Entries, e => e.EventId.Id == 50);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("job 'resize' in queue 'default'", warning.Message, StringComparison.Ordinal);

        // The new build arrives: it has the handler and runs the job; the old worker's next check finds nothing unserved.
        await using (var fresh = await RunnerHost.StartAsync(
            b => b.UseSqlite(DatabasePath).AddJob<WorkHandler, Work>("work").AddJob<ResizeHandler, Resize>("resize").Configure(o => o.NodeId = "new-node"),
            services: s => s.AddSingleton<Probe>()))
        {
            await fresh.Events.WaitFor(JobEventKind.Succeeded, resize);
            await runner.CheckNodesAsync();
            Assert.Empty(old.Monitor.UnservedWork);
            Assert.Equal(["new-node", "old-node"], (await old.Services.GetRequiredService<INodeRegistry>().ListAsync()).Select(n => n.Id));
            Assert.Equal(HealthStatus.Healthy, (await new TaskRunnerHealthCheck(old.Monitor).CheckHealthAsync(new HealthCheckContext())).Status);
        }

        // A worker that stops removes its entry.
        Assert.Equal("old-node", Assert.Single(await old.Services.GetRequiredService<INodeRegistry>().ListAsync()).Id);
        await client.StopAsync();
    }

    [Fact]
    public void Unserved_work_says_whether_the_queue_or_only_the_job_name_lacks_a_live_worker()
    {
        var t = new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);
        NodeRecord Node(string[] queues, string[] names, bool any = false) => new()
        {
            Id = Guid.NewGuid().ToString(), Host = "h", Version = "1", Queues = queues, JobNames = names, ClaimsAnyJobName = any, StartedAt = t, LastHeartbeatAt = t,
        };

        var unserved = NodeHeartbeat.Find(
            [Node(["default"], ["work"]), Node(["mail"], [], any: true)],
            [new PendingWork("default", "work", 3), new PendingWork("default", "resize", 1), new PendingWork("mail", "anything", 2), new PendingWork("reports", "work", 4)]);

        Assert.Equal(
            [new UnservedWork("default", "resize", 1, QueueServed: true), new UnservedWork("reports", "work", 4, QueueServed: false)],
            unserved);
        Assert.Equal("queue 'reports' (4 pending 'work'): no live worker serves the queue", unserved[1].ToString());
    }

    /// <summary>Reads the <c>taskrunner.jobs.unserved</c> gauge of one host (its own meter factory).</summary>
    private static List<(string Queue, string JobName, long Count)> ReadUnservedGauge(IServiceProvider services)
    {
        var meters = services.GetRequiredService<IMeterFactory>();
        var read = new List<(string, string, long)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "taskrunner.jobs.unserved" && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var byKey = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            read.Add((byKey["queue"]!, byKey["job_name"]!, value));
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return read;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere only leaves a temp directory behind.
        }
    }

    private IHost BuildClient()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunner(b => b.UseSqlite(DatabasePath).DeclareJob<Work>("work").DeclareJob<Resize>("resize"));
        return builder.Build();
    }

    private sealed record Resize(string Image);

    private sealed class ResizeHandler : IJobHandler<Resize>
    {
        public ValueTask ExecuteAsync(Resize payload, JobContext context) => default;
    }
}
