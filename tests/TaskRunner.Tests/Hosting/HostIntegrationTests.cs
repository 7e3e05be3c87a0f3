using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Hosting;

/// <summary>TaskRunner inside a generic host: the host's logging, disposal without a stop, the host's shutdown timeout.</summary>
public sealed class HostIntegrationTests
{
    [Fact]
    public async Task AddTaskRunner_before_AddLogging_leaves_the_hosts_logging_working_for_the_app_and_for_us()
    {
        var recorder = new RecordingLoggerProvider();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddSingleton<EventRecorder>();
        builder.Services.AddSingleton<IJobObserver>(sp => sp.GetRequiredService<EventRecorder>());

        // The order of the bug: ours first, then the host's logging.
        builder.Services.AddTaskRunnerWorker(b => b.AddJob<WorkHandler, Work>("work"));
        builder.Services.AddLogging(l => l.ClearProviders().AddProvider(recorder).SetMinimumLevel(LogLevel.Debug));
        using var host = builder.Build();
        await host.StartAsync();

        host.Services.GetRequiredService<ILogger<HostIntegrationTests>>().LogInformation("hello from the app");
        var id = await host.Services.GetRequiredService<IJobClient>().EnqueueAsync(new Work("x", "throw"), new JobOptions { MaxAttempts = 1 });
        await host.Services.GetRequiredService<EventRecorder>().WaitFor(JobEventKind.DeadLettered, id);
        await host.StopAsync();

        var entries = recorder.Entries;
        Assert.Contains(entries, e => e.Category == typeof(HostIntegrationTests).FullName && e.Message == "hello from the app");
        Assert.Contains(entries, e => e.Category == "TaskRunner" && e.Message.Contains("started", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(entries, e => e.Category == "TaskRunner" && e.Message.Contains(id.ToString(), StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.EventId.Id == ShutdownTimeoutMismatch); // the defaults agree (30 s each)
    }

    private const int ShutdownTimeoutMismatch = 40;
    private const int ShutdownAbandoned = 19;

    [Fact]
    public async Task Disposing_a_running_host_without_StopAsync_ends_every_loop_quietly_and_hands_the_running_job_back()
    {
        var recorder = new RecordingLoggerProvider();
        var directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));
        var file = Path.Combine(directory, "jobs.db");
        Directory.CreateDirectory(directory);
        try
        {
            var host = await RunnerHost.StartAsync(
                b => b.UseSqlite(file).AddJob<WorkHandler, Work>("work").AddQueue("default", q => q.Concurrency = 2).AddQueue("other"),
                services: s => s.AddSingleton<Probe>().AddLogging(l => l.AddProvider(recorder).SetMinimumLevel(LogLevel.Debug)));
            var probe = host.Services.GetRequiredService<Probe>();
            var runner = host.Services.GetRequiredService<JobRunner>();
            var scheduler = host.Services.GetServices<IHostedService>().OfType<RecurringScheduler>().Single();
            var id = await host.Client.EnqueueAsync(new Work("d", "block-cancellable"));
            await probe.StartedGate("d").Task;

            host.Host.Dispose(); // no StopAsync

            Assert.Equal(TaskRunnerState.Stopped, runner.State);
            Assert.True(runner.Loops.IsCompleted, "every loop of the runner should have ended");
            Assert.True(scheduler.ExecuteTask!.IsCompleted, "the scheduler loop should have ended");
            Assert.True(probe.TokenFiredGate("d").IsOpen);
            var entries = recorder.Entries;
            Assert.DoesNotContain(entries, e => e.Exception is ObjectDisposedException || e.Exception?.InnerException is ObjectDisposedException);
            Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Error);
            Assert.Contains(entries, e => e.Category == "TaskRunner" && e.Message.Contains("disposed without being stopped", StringComparison.Ordinal));

            // Handed back, not left running until its lease expires: Pending, the attempt not counted.
            using var reopened = new ReopenedSqliteFile(file);
            var job = await reopened.Store.GetAsync(id);
            Assert.Equal(JobState.Pending, job!.State);
            Assert.Equal(0, job.Attempts);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_host_shutdown_timeout_shorter_than_ours_is_honoured_and_the_mismatch_is_logged_at_start()
    {
        var recorder = new RecordingLoggerProvider();
        var hostTimeout = TimeSpan.FromSeconds(20); // real time: the host's own token
        var host = await RunnerHost.StartAsync(
            b => b.AddJob<WorkHandler, Work>("work").Configure(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5)),
            services: s => s
                .AddSingleton<Probe>()
                .Configure<HostOptions>(o => o.ShutdownTimeout = hostTimeout)
                .AddLogging(l => l.AddProvider(recorder)));
        var probe = host.Services.GetRequiredService<Probe>();
        var runner = host.Services.GetRequiredService<JobRunner>();
        var store = host.Store;

        var warning = Assert.Single(recorder.Entries, e => e.EventId.Id == ShutdownTimeoutMismatch);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("00:00:20", warning.Message, StringComparison.Ordinal);
        Assert.Contains("00:05:00", warning.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(18), runner.ShutdownGrace); // 20 s less the hand-back reserve (a quarter, at most 2 s)

        var id = await host.Client.EnqueueAsync(new Work("h", "block-cancellable"));
        await probe.StartedGate("h").Task;
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.StateChanged += (_, state) =>
        {
            if (state == TaskRunnerState.Stopping)
            {
                stopping.TrySetResult();
            }
        };

        var stop = host.Host.StopAsync();
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(10));
        host.Time.Advance(runner.ShutdownGrace); // our 5 minutes are far off; the host's 20 s are what counts
        await stop.WaitAsync(TimeSpan.FromSeconds(15)); // well before the host's token fires

        var job = await store.GetAsync(id);
        Assert.Equal(JobState.Pending, job!.State);
        Assert.Equal(0, job.Attempts);
        Assert.True(probe.TokenFiredGate("h").IsOpen);
        Assert.DoesNotContain(recorder.Entries, e => e.EventId.Id == ShutdownAbandoned);
        host.Host.Dispose();
    }

    /// <summary>A second set of connections to a job file, as a later process would open it.</summary>
    private sealed class ReopenedSqliteFile : IDisposable
    {
        private readonly SqliteDatabase _database;

        public ReopenedSqliteFile(string file)
        {
            _database = new SqliteDatabase(Microsoft.Extensions.Options.Options.Create(new SqliteStoreOptions { Path = file }));
            Store = new SqliteJobStore(_database);
        }

        public IJobStore Store { get; }

        public void Dispose() => _database.Dispose();
    }
}
