using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TaskRunner.Postgres;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Postgres;

/// <summary>LISTEN/NOTIFY wake-ups: what notifies, the listener's reconnection, and the engine waking a queue that would
/// otherwise sleep until its next poll.</summary>
public sealed class PostgresNotificationTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly PostgresStoreFactory _factory = new();
    private readonly Channel<string?> _received = Channel.CreateUnbounded<string?>();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task Enqueue_release_recovery_and_requeue_by_another_process_notify_their_queue_and_delayed_work_notifies_without_one()
    {
        var listener = (PostgresJobStore)_factory.JobStore;
        Assert.True(listener.Capabilities.HasFlag(JobStoreCapabilities.Notifications));
        await using var subscription = await listener.ListenAsync(q => _received.Writer.TryWrite(q), CancellationToken.None);
        var other = _factory.OpenSharedJobStore();

        var id = (await other.EnqueueAsync([new NewJob { Name = "n", Queue = "mail", RunAt = T0, MaxAttempts = 2 }], T0))[0].Id;
        Assert.Equal("mail", await NextAsync());

        var claimed = Assert.Single(await other.ClaimAsync(new ClaimRequest { Queue = "mail", MaxCount = 1, Owner = "w", Now = T0, LeaseDuration = Lease }));
        Assert.Empty(await other.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Released(id, claimed.LeaseToken)], Now = T0 }));
        Assert.Equal("mail", await NextAsync()); // released: pending again

        Assert.Single(await other.ClaimAsync(new ClaimRequest { Queue = "mail", MaxCount = 1, Owner = "w", Now = T0, LeaseDuration = Lease }));
        Assert.Equal(new RecoveryResult(1, 0), await other.RecoverExpiredLeasesAsync(T0 + Lease + TimeSpan.FromSeconds(1), 10));
        Assert.Equal("mail", await NextAsync()); // recovered: pending again

        var last = Assert.Single(await other.ClaimAsync(new ClaimRequest { Queue = "mail", MaxCount = 1, Owner = "w", Now = T0 + Lease * 2, LeaseDuration = Lease }));
        Assert.Empty(await other.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.DeadLettered(id, last.LeaseToken, new JobError("E", "m"))], Now = T0 + Lease * 2 }));
        Assert.True(await other.RequeueAsync(id, T0 + Lease * 3));
        Assert.Equal("mail", await NextAsync()); // requeued dead letter

        await other.EnqueueAsync([new NewJob { Name = "later", Queue = "mail", RunAt = T0.AddHours(1) }], T0);
        Assert.Null(await NextAsync()); // due later: the scheduler's business, not a queue's
        Assert.False(_received.Reader.TryRead(out _), "a success or a claim should not notify");
    }

    [Fact]
    public async Task A_schedule_change_by_another_process_notifies()
    {
        await using var subscription = await ((PostgresJobStore)_factory.JobStore).ListenAsync(q => _received.Writer.TryWrite(q), CancellationToken.None);

        await _factory.ScheduleStore.UpsertAsync(new ScheduleRecord { Name = "s", Cron = "* * * * *", TimeZoneId = "UTC", JobName = "j" }, T0);

        Assert.Null(await NextAsync());
    }

    [Fact]
    public async Task The_listener_reconnects_after_its_connection_is_killed_reports_a_possible_miss_and_keeps_listening()
    {
        var notifier = _factory.Database.Notifier;
        await using var subscription = await ((PostgresJobStore)_factory.JobStore).ListenAsync(q => _received.Writer.TryWrite(q), CancellationToken.None);
        Assert.Equal(1, notifier.Connections);

        await using (var admin = new NpgsqlConnection(_factory.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend($1)", admin) { Parameters = { new NpgsqlParameter { Value = notifier.ListenerProcessId } } };
            Assert.True((bool)(await kill.ExecuteScalarAsync())!);
        }

        Assert.Null(await NextAsync()); // reconnected: whatever was stored meanwhile may be due
        Assert.Equal(2, notifier.Connections);
        await _factory.OpenSharedJobStore().EnqueueAsync([new NewJob { Name = "n", RunAt = T0 }], T0);
        Assert.Equal("default", await NextAsync());
    }

    [Fact]
    public async Task A_job_enqueued_by_another_process_starts_at_once_although_the_queue_polls_hourly()
    {
        void Configure(ITaskRunnerBuilder b) => b
            .UsePostgres(_factory.ConnectionString, o => o.Schema = _factory.Schema)
            .AddJob<WorkHandler, Work>("work")
            .AddQueue("default", q => q.UseFixedInterval(o => o.Interval = TimeSpan.FromHours(1)));
        await using var worker = await RunnerHost.StartAsync(Configure, services: s => s.AddSingleton<Probe>());
        await using var client = RunnerHost.Create(Configure, services: s => s.AddSingleton<Probe>());
        Assert.True(SpinWait.SpinUntil(() => worker.Poller().IsSleeping, RunnerHost.Patience), "the worker's poller should be asleep");

        var id = await client.Client.EnqueueAsync(new Work("pushed"));

        // The fake clock never moves: only the notification can end the poller's hour-long sleep.
        await worker.Services.GetRequiredService<Probe>().StartedGate("pushed").Task;
        await worker.Events.WaitFor(JobEventKind.Succeeded, id);
    }

    private async Task<string?> NextAsync() => await _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
