using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TaskRunner.Diagnostics;
using TaskRunner.Postgres;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Postgres;

/// <summary>The server goes away mid-run and comes back: on a server of the test's own (never the shared one), so other
/// test classes never see the outage.</summary>
public sealed class PostgresServerRestartTests
{
    private const int Workers = 4;
    private const int Queued = 36;

    /// <param name="mode"><c>fast</c>: the server disconnects its clients and checkpoints; <c>immediate</c>: a crash, the
    /// clients' sockets just close and the next start replays the WAL.</param>
    [Theory]
    [InlineData("fast")]
    [InlineData("immediate")]
    public async Task Every_accepted_job_completes_once_after_a_restart_mid_run_with_enqueues_failing_transiently_health_failing_and_LISTEN_back(string mode)
    {
        await using var server = await ThrowawayPostgresServer.StartAsync(durable: true);

        // Polls hourly on a clock that moves only a few seconds: whatever starts a job here was woken by a notification,
        // a finished job or the listener's reconnection.
        void Configure(ITaskRunnerBuilder b) => b
            .UsePostgres(server.ConnectionString)
            .AddJob<WorkHandler, Work>("work")
            .AddQueue("default", q =>
            {
                q.Concurrency = Workers;
                q.UseFixedInterval(o => o.Interval = TimeSpan.FromHours(1));
            });
        await using var worker = await RunnerHost.StartAsync(Configure, services: s => s.AddSingleton<Probe>());
        await using var client = RunnerHost.Create(Configure, services: s => s.AddSingleton<Probe>());
        var probe = worker.Services.GetRequiredService<Probe>();
        var notifier = worker.Services.GetRequiredService<PostgresDatabase>().Notifier;

        // Every worker busy in a job that finishes only when told, the rest queued behind them.
        var blocked = Enumerable.Range(0, Workers).Select(i => new Work($"blocked-{i}", "block")).ToArray();
        var ids = (await client.Client.EnqueueManyAsync(blocked)).ToList();
        foreach (var job in blocked)
        {
            await probe.StartedGate(job.Key).Task;
        }

        ids.AddRange(await client.Client.EnqueueManyAsync(Enumerable.Range(0, Queued).Select(i => new Work($"queued-{i}"))));
        var succeeded = ids.Select(id => worker.Events.WaitFor(JobEventKind.Succeeded, id)).ToArray();

        await server.StopAsync(mode);

        // An enqueue while the server is down is refused as transient: the caller knows to try again.
        var refused = await Assert.ThrowsAsync<JobStoreException>(() => client.Client.EnqueueAsync(new Work("refused")).AsTask());
        Assert.True(refused.IsTransient, refused.Message);

        // The blocked jobs finish now: their outcomes cannot be written, the freed workers' claim fails, health says so.
        foreach (var job in blocked)
        {
            probe.ReleaseGate(job.Key).Open();
        }

        Assert.True(SpinWait.SpinUntil(() => worker.Monitor.LastStoreError is not null, TimeSpan.FromSeconds(30)), "the failing claim should show in the monitor");
        var down = await new TaskRunnerHealthCheck(worker.Monitor).CheckHealthAsync(new HealthCheckContext());
        Assert.NotEqual(HealthStatus.Healthy, down.Status);
        Assert.Contains("PostgreSQL", down.Description, StringComparison.Ordinal);

        await server.StartAgainAsync();

        // The listener reconnects after its (fake-clock) pause, and tells the poller it may have missed work; the parked
        // outcomes are written on their (fake-clock) retry. A few seconds at most: far from the hourly poll and the lease.
        for (var step = 0; step < 50 && notifier.Connections < 2; step++)
        {
            worker.Time.Advance(TimeSpan.FromMilliseconds(100));
            SpinWait.SpinUntil(() => notifier.Connections >= 2, TimeSpan.FromSeconds(2)); // real time for the reconnect; the fake clock bounds the steps
        }

        Assert.True(notifier.Connections >= 2, "the listening connection should be reopened once the server is back");
        worker.Time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(succeeded);

        // Exactly once: one run and one success per accepted job, and nothing else in the store.
        var runs = probe.Runs.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Workers + Queued, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Value));
        Assert.Equal(ids.Count, worker.Events.All.Count(e => e.Kind == JobEventKind.Succeeded));
        var counts = await worker.Store.CountAsync(null);
        Assert.Equal(Workers + Queued, counts.Succeeded);
        Assert.Equal(Workers + Queued, counts.Total);

        // Healthy again, and pushed wake-ups work again: with the clock still, only a notification wakes the hourly poll.
        Assert.Equal(HealthStatus.Healthy, (await new TaskRunnerHealthCheck(worker.Monitor).CheckHealthAsync(new HealthCheckContext())).Status);
        Assert.True(SpinWait.SpinUntil(() => worker.Poller().IsSleeping, RunnerHost.Patience), "the worker's poller should be asleep");
        var after = await client.Client.EnqueueAsync(new Work("after-restart"));
        await probe.StartedGate("after-restart").Task;
        await worker.Events.WaitFor(JobEventKind.Succeeded, after);
    }
}
