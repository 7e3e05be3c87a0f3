using System.Text;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Testing;
using TaskRunner.Cli;
using TaskRunner.Tests.Contracts;
using TaskRunner.Tests.Postgres;
using TaskRunner.Tests.Sqlite;

namespace TaskRunner.Tests.Cli;

/// <summary>A real SQLite file (or PostgreSQL schema) holding a job in every state, a job stuck behind an expired lease, one running long on a
/// live lease, hostile values, a schedule and a node, all written through the store contracts at a fixed instant; and a
/// way to run the tool's commands in-process against it on a fake clock at that instant.</summary>
internal sealed class CliStore : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A name, tag and error that would restyle the output if the tool parsed them as markup, with an ESC.</summary>
    public const string HostileName = "[red]evil[/]";
    public const string HostileTag = "[link=https://attacker.example]click[/]";
    public const string HostileMessage = "boom \u001b[31mred[/] [bold]";

    private readonly IStoreFactory _factory;

    private CliStore(IStoreFactory factory) => _factory = factory;

    /// <summary>The SQLite file's path (SQLite stores only).</summary>
    public string Path => ((SqliteStoreFactory)_factory).Path;

    /// <summary>The options that name this store on a command line.</summary>
    public string[] StoreArguments => _factory switch
    {
        SqliteStoreFactory sqlite => ["--sqlite", sqlite.Path],
        PostgresStoreFactory postgres => ["--postgres", postgres.ConnectionString, "--schema", postgres.Schema],
        _ => throw new NotSupportedException(_factory.GetType().Name),
    };

    public IJobStore Store => _factory.JobStore;

    public IScheduleStore Schedules => _factory.ScheduleStore;

    public ILockStore Locks => _factory.LockStore;

    public FakeTimeProvider Time { get; } = new(Now);

    public JobId Pending { get; private set; }
    public JobId Scheduled { get; private set; }
    public JobId RunningLong { get; private set; }
    public JobId Expired { get; private set; }
    public JobId Succeeded { get; private set; }
    public JobId Failed { get; private set; }
    public JobId DeadLettered { get; private set; }
    public JobId Cancelled { get; private set; }

    public static Task<CliStore> CreateAsync() => CreateAsync(new SqliteStoreFactory());

    public static async Task<CliStore> CreateAsync(IStoreFactory factory)
    {
        var store = new CliStore(factory);
        await store._factory.InitializeAsync();
        await store.SeedAsync();
        return store;
    }

    public async Task<CliResult> RunAsync(params string[] args) => await RunAsync(new TestConsole().Width(400), args);

    public async Task<CliResult> RunAsync(TestConsole console, params string[] args)
    {
        var error = new StringWriter();
        var environment = new CliEnvironment(console, error, _ => null, Time);
        var exit = await CliApp.RunAsync([.. args, .. StoreArguments], environment);
        return new CliResult(exit, console.Output, error.ToString());
    }

    /// <summary>Runs a command line as given (no <c>--sqlite</c> added), with these environment variables.</summary>
    public async Task<CliResult> RunRawAsync(IReadOnlyDictionary<string, string> variables, params string[] args)
    {
        var console = new TestConsole().Width(400);
        var error = new StringWriter();
        var environment = new CliEnvironment(console, error, name => variables.GetValueOrDefault(name), Time);
        var exit = await CliApp.RunAsync(args, environment);
        return new CliResult(exit, console.Output, error.ToString());
    }

    public async Task<JobRecord> GetAsync(JobId id) => await Store.GetAsync(id) ?? throw new InvalidOperationException($"job {id} is gone");

    private async Task SeedAsync()
    {
        // Each job is enqueued and claimed alone, so the claim takes exactly it: nothing else is pending yet.
        RunningLong = (await ClaimNewAsync("long-report", Now.AddHours(-1), TimeSpan.FromHours(2))).Id;
        var expired = await ClaimNewAsync("crashed-shard", Now.AddMinutes(-10), TimeSpan.FromMinutes(1), maxAttempts: 3);
        Expired = expired.Id;

        var succeeded = await ClaimNewAsync("send-email", Now.AddHours(-3), TimeSpan.FromMinutes(5));
        await CompleteAsync(JobCompletion.Succeeded(succeeded.Id, succeeded.LeaseToken, Encoding.UTF8.GetBytes("{\"sent\":3}")), Now.AddHours(-3));
        Succeeded = succeeded.Id;

        var failed = await ClaimNewAsync("send-email", Now.AddHours(-2), TimeSpan.FromMinutes(5));
        await CompleteAsync(JobCompletion.Failed(failed.Id, failed.LeaseToken, new JobError("System.TimeoutException", "smtp timed out", "   at Smtp.Send()"), Now.AddMinutes(5)), Now.AddHours(-2));
        Failed = failed.Id;

        var dead = await ClaimNewAsync(HostileName, Now.AddDays(-10), TimeSpan.FromMinutes(5), tags: [HostileTag]);
        await CompleteAsync(JobCompletion.DeadLettered(dead.Id, dead.LeaseToken, new JobError("System.InvalidOperationException", HostileMessage, "   at Evil.Run() in Evil.cs:line 7")), Now.AddDays(-10));
        DeadLettered = dead.Id;

        Cancelled = await EnqueueAsync("send-email", Now.AddHours(-1));
        await Store.CancelAsync(Cancelled, Now.AddHours(-1));

        Pending = await EnqueueAsync("send-email", Now.AddMinutes(-1), tags: ["welcome"], payload: "{\"to\":\"a@b.c\"}");
        Scheduled = await EnqueueAsync("build-report", Now, queue: "reports", runAt: Now.AddHours(1));

        await Schedules.UpsertAsync(new ScheduleRecord
        {
            Name = "nightly-report",
            Cron = "0 2 * * *",
            TimeZoneId = "UTC",
            JobName = "build-report",
            Payload = Encoding.UTF8.GetBytes("{\"region\":\"eu\"}"),
            Queue = "reports",
        }, Now.AddDays(-1));

        await _factory.NodeRegistry.UpsertAsync(new NodeRecord
        {
            Id = "worker-1",
            Host = "box-a",
            Version = "1.2.3",
            Queues = ["default"],
            JobNames = ["send-email"],
            StartedAt = Now.AddHours(-5),
            LastHeartbeatAt = Now.AddSeconds(-10),
        });
    }

    private async Task<JobId> EnqueueAsync(string name, DateTimeOffset at, string queue = "default", DateTimeOffset? runAt = null,
        IReadOnlyList<string>? tags = null, string payload = "{}")
    {
        var results = await Store.EnqueueAsync(
            [new NewJob { Name = name, Queue = queue, RunAt = runAt ?? at, MaxAttempts = 5, Tags = tags ?? [], Payload = Encoding.UTF8.GetBytes(payload) }], at);
        return results[0].Id;
    }

    private async Task<ClaimedJob> ClaimNewAsync(string name, DateTimeOffset at, TimeSpan lease, int maxAttempts = 5, IReadOnlyList<string>? tags = null)
    {
        await Store.EnqueueAsync([new NewJob { Name = name, RunAt = at, MaxAttempts = maxAttempts, Tags = tags ?? [], Payload = "{\"n\":1}"u8.ToArray() }], at);
        var claimed = await Store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 1, Owner = "worker-1", Now = at, LeaseDuration = lease });
        return Assert.Single(claimed);
    }

    private async Task CompleteAsync(JobCompletion completion, DateTimeOffset at) =>
        Assert.Empty(await Store.CompleteAsync(new CompleteRequest { Completions = [completion], Now = at }));

    public ValueTask DisposeAsync() => _factory.DisposeAsync();
}

/// <summary>One run of the tool: its exit code, what it printed, and its error stream.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error);
