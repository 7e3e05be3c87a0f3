using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Diagnostics;

/// <summary>The <c>TaskRunner</c> meter and activity source. Not run in parallel with other tests: the activity source is
/// process-wide, and in-memory job ids repeat across hosts.</summary>
[Collection(nameof(DiagnosticsCollection))]
public sealed class DiagnosticsTests
{
    [Fact]
    public async Task Trace_context_flows_from_the_enqueuing_activity_to_the_execution()
    {
        var executions = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "TaskRunner" or "test",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "TaskRunner")
                {
                    executions.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("test");
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());

        JobId id;
        ActivityTraceId traceId;
        using (var request = source.StartActivity("http request"))
        {
            traceId = request!.TraceId;
            id = await host.Client.EnqueueAsync(new Work("traced"));
        }

        await host.Events.WaitFor(JobEventKind.Succeeded, id);
        Assert.True(SpinWait.SpinUntil(() => executions.Any(a => Equals(a.GetTagItem("taskrunner.job.id"), id.Value)), RunnerHost.Patience));
        var execution = executions.Single(a => Equals(a.GetTagItem("taskrunner.job.id"), id.Value));
        Assert.Equal(traceId, execution.TraceId);
        Assert.Equal("work execute", execution.DisplayName);
    }

    [Fact]
    public async Task The_meter_counts_enqueued_started_succeeded_failed_and_dead_lettered_jobs()
    {
        var counts = new ConcurrentDictionary<string, long>();
        var host = RunnerHost.Create(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>().AddMetrics());
        await using var _ = host;
        var meters = host.Services.GetRequiredService<IMeterFactory>(); // this host's meters only
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "TaskRunner" && ReferenceEquals(instrument.Meter.Scope, meters) && instrument is Counter<long>)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.Start();
        await host.Host.StartAsync();

        var ok = await host.Client.EnqueueAsync(new Work("ok"));
        var bad = await host.Client.EnqueueAsync(new Work("bad", "throw"), new JobOptions { MaxAttempts = 2 });
        await host.Events.WaitFor(JobEventKind.Succeeded, ok);
        var failed = await host.Events.WaitFor(JobEventKind.Failed, bad);
        host.Time.SetUtcNow(failed.RetryAt!.Value);
        await host.Events.WaitFor(JobEventKind.DeadLettered, bad);

        Assert.Equal(2, counts.GetValueOrDefault("taskrunner.jobs.enqueued"));
        Assert.Equal(3, counts.GetValueOrDefault("taskrunner.jobs.started"));
        Assert.Equal(1, counts.GetValueOrDefault("taskrunner.jobs.succeeded"));
        Assert.Equal(1, counts.GetValueOrDefault("taskrunner.jobs.failed"));
        Assert.Equal(1, counts.GetValueOrDefault("taskrunner.jobs.dead_lettered"));
    }

    [Fact]
    public async Task The_meter_counts_leases_recovered_from_crashed_workers_by_outcome()
    {
        var store = new FaultyJobStore(new TaskRunner.Storage.InMemoryJobStore());
        await using var host = await RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddQueue("default", q => q.Concurrency = 1);
                b.Configure(o =>
                {
                    o.LeaseDuration = TimeSpan.FromSeconds(10);
                    o.HeartbeatInterval = TimeSpan.FromSeconds(5);
                    o.StaleLeaseCheckInterval = TimeSpan.FromSeconds(15);
                });
            },
            services: s => s.AddSingleton<Probe>().AddMetrics().AddSingleton<IJobStore>(store));
        using var metrics = new MeterCounts(host.Services);
        var probe = host.Services.GetRequiredService<Probe>();
        var id = await host.Client.EnqueueAsync(new Work("stale", "block"), new JobOptions { MaxAttempts = 1 });
        await probe.StartedGate("stale").Task;
        store.FailHeartbeats = true; // the worker looks crashed: its lease lapses
        var sweeps = store.Recoveries;

        host.Time.Advance(TimeSpan.FromSeconds(15));
        await store.WaitForRecoveries(sweeps + 1);

        Assert.True(SpinWait.SpinUntil(() => metrics["taskrunner.leases.recovered"] > 0, RunnerHost.Patience));
        Assert.Equal(JobState.DeadLettered, (await store.GetAsync(id))!.State);
        Assert.Equal(1, metrics["taskrunner.leases.recovered", "outcome", "dead_lettered"]);
        Assert.Equal(0, metrics["taskrunner.leases.recovered", "outcome", "requeued"]);
        probe.ReleaseGate("stale").Open();
    }
}

[CollectionDefinition(nameof(DiagnosticsCollection), DisableParallelization = true)]
public sealed class DiagnosticsCollection;
