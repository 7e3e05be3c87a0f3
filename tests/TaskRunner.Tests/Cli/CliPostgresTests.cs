using System.Text.Json;
using TaskRunner.Tests.Postgres;

namespace TaskRunner.Tests.Cli;

/// <summary>The tool on PostgreSQL (<c>--postgres</c> and <c>--schema</c>): the same seeded store, the commands that read
/// and repair it. The server is TASKRUNNER_POSTGRES's, or a throwaway one (PostgresServer), as for every PostgreSQL test.</summary>
public sealed class CliPostgresTests : IAsyncLifetime
{
    private CliStore _store = null!;

    public async Task InitializeAsync() => _store = await CliStore.CreateAsync(new PostgresStoreFactory());

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Lists_shows_finds_stuck_work_recovers_and_triggers_on_postgres()
    {
        var list = await _store.RunAsync("jobs", "list", "--json");
        Assert.True(list.ExitCode == 0, list.Error);
        using (var document = JsonDocument.Parse(list.Output))
        {
            Assert.Equal(8, document.RootElement.GetArrayLength());
        }

        var show = await _store.RunAsync("jobs", "show", _store.Failed.ToString());
        Assert.Contains("System.TimeoutException: smtp timed out", show.Output, StringComparison.Ordinal);

        var stuck = await _store.RunAsync("stuck");
        Assert.Contains("lease expired 9m 0s ago", stuck.Output, StringComparison.Ordinal);
        Assert.Contains("running for 1h 0m", stuck.Output, StringComparison.Ordinal);

        var recover = await _store.RunAsync("recover");
        Assert.Contains("1 requeued, 0 dead-lettered", recover.Output, StringComparison.Ordinal);
        Assert.Equal(JobState.Pending, (await _store.GetAsync(_store.Expired)).State);

        var trigger = await _store.RunAsync("schedules", "trigger", "nightly-report");
        Assert.True(trigger.ExitCode == 0, trigger.Error);
        Assert.Single(await _store.Store.ListAsync(new JobQuery { JobName = "build-report", State = JobState.Pending }));

        var requeue = await _store.RunAsync("jobs", "requeue", _store.DeadLettered.ToString());
        Assert.Equal(0, requeue.ExitCode);
        Assert.Equal(JobState.Pending, (await _store.GetAsync(_store.DeadLettered)).State);
    }
}
