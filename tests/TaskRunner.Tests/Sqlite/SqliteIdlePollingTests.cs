using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Sqlite;

/// <summary>On SQLite an idle poll asks whether any process wrote since the last one (PRAGMA data_version), and runs
/// the claim query only when something did.</summary>
public sealed class SqliteIdlePollingTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task An_idle_hour_costs_change_checks_not_claim_queries_and_a_write_by_another_process_is_picked_up()
    {
        var store = new FaultyJobStore(_factory.JobStore);
        Assert.True(store.Capabilities.HasFlag(JobStoreCapabilities.ChangeVersion));
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>().AddSingleton<IJobStore>(store));
        var start = host.Time.GetUtcNow();
        store.Clock = host.Time;

        while (host.Time.GetUtcNow() - start < TimeSpan.FromHours(1))
        {
            host.AdvanceToNextPoll();
        }

        var polls = string.Join(" ", store.Polls.Select(p => $"{(p.At - start).TotalSeconds:0.#}{p.Call[0]}"));
        Assert.True(store.ClaimCalls <= 2 && store.ChangeVersionCalls is >= 100 and <= 140, polls);
        Assert.InRange(store.ClaimCalls, 1, 2); // the first poll at start (and at most one more)
        Assert.InRange(store.ChangeVersionCalls, 100, 140); // one cheap check per idle poll

        // Another process enqueues: its commit changes data_version, and the next idle poll claims.
        var other = _factory.OpenSharedJobStore();
        var id = (await other.EnqueueAsync([new NewJob { Name = "work", Payload = "{\"key\":\"elsewhere\"}"u8.ToArray(), RunAt = host.Time.GetUtcNow() }], host.Time.GetUtcNow()))[0].Id;
        var succeeded = host.Events.WaitFor(JobEventKind.Succeeded, id);

        // Move the clock only while the job still waits, so time never runs ahead of its (real-time) execution.
        for (var i = 0; i < 3 && (await store.GetAsync(id))!.State == JobState.Pending; i++)
        {
            host.AdvanceToNextPoll();
        }

        await succeeded;
        Assert.Contains(host.Services.GetRequiredService<Probe>().Runs, r => r.Key == "elsewhere");
    }
}
