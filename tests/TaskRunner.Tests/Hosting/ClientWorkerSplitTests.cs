using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Hosting;

/// <summary>AddTaskRunner is the client (enqueue, query, manage); AddTaskRunnerWorker adds the engine that runs jobs.</summary>
public sealed class ClientWorkerSplitTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_directory, "jobs.db");

    public ClientWorkerSplitTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task A_process_with_no_handlers_and_no_worker_enqueues_a_declared_job_that_a_worker_host_runs()
    {
        using var client = BuildClient(b => b.UseSqlite(DatabasePath).DeclareJob<Work>("work", o => o.MaxAttempts = 3));
        await client.StartAsync();

        // No engine here: no runner among the hosted services, no monitor, nothing claims.
        Assert.DoesNotContain(client.Services.GetServices<IHostedService>(), h => h is JobRunner or RecurringScheduler);
        Assert.Null(client.Services.GetService<ITaskRunnerMonitor>());

        var jobs = client.Services.GetRequiredService<IJobClient>();
        var id = await jobs.EnqueueAsync(new Work("from-client"));
        var stored = await jobs.GetAsync(id);
        Assert.NotNull(stored);
        Assert.Equal("work", stored.Name);
        Assert.Equal(JobState.Pending, stored.State);
        Assert.Equal(3, stored.MaxAttempts);

        // A worker on the same file, with the handler under the same name, runs it; the client sees the outcome.
        await using (var worker = await RunnerHost.StartAsync(
            b => b.UseSqlite(DatabasePath).AddJob<WorkHandler, Work>("work"),
            services: s => s.AddSingleton<Probe>()))
        {
            await worker.Events.WaitFor(JobEventKind.Succeeded, id);
            Assert.Equal("from-client", Assert.Single(worker.Services.GetRequiredService<Probe>().Runs).Key);
        }

        Assert.Equal(JobState.Succeeded, (await jobs.GetAsync(id))!.State);
        await client.StopAsync();
    }

    [Fact]
    public async Task The_client_host_prepares_the_store_at_start_so_a_fresh_file_takes_an_enqueue()
    {
        using var client = BuildClient(b => b.UseSqlite(DatabasePath).DeclareJob<Work>("work"));
        await client.StartAsync();

        var id = await client.Services.GetRequiredService<IJobClient>().EnqueueAsync("work", new Work("a"));

        Assert.Equal(JobState.Pending, (await client.Services.GetRequiredService<IJobStore>().GetAsync(id))!.State);
        await client.StopAsync();
    }

    [Fact]
    public void A_declaration_and_a_handler_under_one_name_keep_the_handler_and_only_handlers_are_claimed()
    {
        using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<Probe>()
            .AddTaskRunner(b => b.DeclareJob<Work>("work").DeclareJob<Record>("elsewhere").AddJob<WorkHandler, Work>("work"))
            .Services.BuildServiceProvider();
        var registry = provider.GetRequiredService<JobRegistry>();

        Assert.True(registry.TryGet("work", out var work));
        Assert.Equal(typeof(WorkHandler), work.HandlerType);
        Assert.Same(work, registry.GetForPayload(typeof(Work)));

        // A declared job is enqueued here but never claimed: this process cannot run it.
        Assert.False(registry.TryGet("elsewhere", out _));
        Assert.Equal(typeof(Record), registry.Get("elsewhere").PayloadType);
        Assert.Equal(["work"], registry.Names.Order());
    }

    [Fact]
    public void A_declaration_with_another_payload_type_than_the_handler_is_refused_naming_both()
    {
        using var provider = new ServiceCollection()
            .AddTaskRunner(b => b.DeclareJob<Record>("work").AddJob<WorkHandler, Work>("work"))
            .Services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<JobRegistry>());

        Assert.Contains("'work' is registered twice", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Record).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(WorkHandler).FullName!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueueing_a_null_or_undeclared_payload_in_a_client_names_the_job_and_the_fix()
    {
        using var provider = new ServiceCollection()
            .AddTaskRunner(b => b.DeclareJob<Work>("work"))
            .Services.BuildServiceProvider();
        var jobs = provider.GetRequiredService<IJobClient>();

        var nullPayload = await Assert.ThrowsAsync<ArgumentNullException>(() => jobs.EnqueueAsync<Work>("work", null!).AsTask());
        Assert.Contains("job 'work'", nullPayload.Message, StringComparison.Ordinal);

        var undeclared = await Assert.ThrowsAsync<ArgumentException>(() => jobs.EnqueueAsync(new Record(1)).AsTask());
        Assert.Contains("DeclareJob<Record>", undeclared.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Blank and over-long names break the job-name rule.
    [InlineData("")]
    [InlineData(" ")]
    public void DeclareJob_refuses_an_invalid_name_naming_it(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTaskRunner(b => b.DeclareJob<Work>(name)));
        Assert.Contains($"Job name '{name}' is invalid", error.Message, StringComparison.Ordinal);
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

    private static IHost BuildClient(Action<ITaskRunnerBuilder> configure)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunner(configure);
        return builder.Build();
    }

    private sealed record Record(int Value);
}
