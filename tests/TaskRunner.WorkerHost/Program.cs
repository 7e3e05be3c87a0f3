// A TaskRunner host the multi-process tests start as real OS processes on one SQLite file. Modes:
//   every mode takes --postgres CONNECTION-STRING --schema NAME instead of --db PATH to work on PostgreSQL
//   work     --db PATH --log PATH [--expect N] [--concurrency N] [--batch N] [--prefetch N] [--lease-ms N]
//            [--heartbeat-ms N] [--stale-ms N] [--max-idle-ms N] [--poll-ms N] [--work-ms N] [--echo yes]
//            runs "record" jobs (each working --work-ms first), appending "<job id> <value> <pid>" per completion to its log; exits when the store
//            holds at least N succeeded jobs and nothing unfinished (with --expect), or when stdin closes. With
//            --max-idle-ms, an idle poller never sleeps longer than that (the default backoff grows to 30 s); with --poll-ms
//            it polls at that fixed interval. With --echo, each completion also prints "done <value>" on stdout.
//   lock     --db PATH --log PATH --name NAME --iterations K
//            after "go" on stdin, acquires the lock K times, appending "enter <token> <pid>" and "exit <token> <pid>"
//            inside each critical section to the shared log.
//   crash    --db PATH [--lease-ms N]
//            claims one "record" job and blocks in its handler forever, after printing "running <job id> <attempt>";
//            the test kills it. Exits without stopping its host when stdin closes.
//   schedule --db PATH --log PATH
//            runs a per-second recurring "tick" job, appending "<occurrence key> <job id> <pid>" per run; exits when
//            stdin closes.
//   extract  --db PATH --log PATH --root DIR
//            runs a file extraction pipeline over DIR, appending "<path> <pid>" per extraction; exits when stdin closes.
// Every mode prints "ready <pid>" once its host has started, and stops gracefully when stdin closes.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner;
using TaskRunner.Postgres;
using TaskRunner.Sqlite;
using TaskRunner.WorkerHost;

var arguments = WorkerArguments.Parse(args);
var input = new StandardInput();
try
{
    return arguments.Mode switch
    {
        "work" => await WorkAsync(arguments, input),
        "lock" => await LockAsync(arguments, input),
        "crash" => await CrashAsync(arguments, input),
        "schedule" => await ScheduleAsync(arguments, input),
        "extract" => await ExtractWorker.RunAsync(arguments, input),
        _ => throw new ArgumentException($"Unknown mode '{arguments.Mode}'."),
    };
}
catch (Exception ex)
{
    await Console.Error.WriteLineAsync($"worker {Environment.ProcessId} failed: {ex}");
    return 2;
}

static IHost BuildHost(WorkerArguments arguments, Action<ITaskRunnerBuilder> configure, Action<IServiceCollection>? services = null)
{
    var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
    services?.Invoke(builder.Services);
    builder.Services.AddTaskRunnerWorker(b =>
    {
        if (arguments.Has("postgres"))
        {
            b.UsePostgres(arguments.Text("postgres"), o => o.Schema = arguments.Text("schema"));
        }
        else
        {
            b.UseSqlite(arguments.Text("db"));
        }

        var lease = arguments.Milliseconds("lease-ms", 5000);
        b.Configure(o =>
        {
            o.NodeId = $"{arguments.Mode}-{Environment.ProcessId}";
            o.LeaseDuration = lease;
            o.HeartbeatInterval = arguments.Milliseconds("heartbeat-ms", (int)(lease / 4).TotalMilliseconds);
            o.StaleLeaseCheckInterval = arguments.Milliseconds("stale-ms", 500);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        configure(b);
    });
    return builder.Build();
}

static async Task<int> WorkAsync(WorkerArguments arguments, StandardInput input)
{
    using var log = new AppendOnlyLog(arguments.Text("log"));
    var concurrency = arguments.Int("concurrency", 8);
    using var host = BuildHost(
        arguments,
        b => b.AddJob<RecordHandler, Record>("record").AddQueue(JobOptions.DefaultQueue, q =>
        {
            q.Concurrency = concurrency;
            q.BatchSize = arguments.Int("batch", Math.Max(concurrency, 32));
            q.Prefetch = arguments.Has("prefetch") ? arguments.Int("prefetch", 0) : null; // unset: the engine's default
            if (arguments.Int("poll-ms", 0) is > 0 and var pollEvery)
            {
                q.UseFixedInterval(o => o.Interval = TimeSpan.FromMilliseconds(pollEvery));
            }

            if (arguments.Int("max-idle-ms", 0) is > 0 and var maxIdle)
            {
                // Another process's enqueue does not wake this one: only polling finds it, so cap the idle sleep.
                q.UseIdleBackoff(o =>
                {
                    o.MaxDelay = TimeSpan.FromMilliseconds(maxIdle);
                    o.MinDelay = o.MinDelay < o.MaxDelay ? o.MinDelay : o.MaxDelay;
                });
            }
        }),
        s => s.AddSingleton(log).AddSingleton(new RecordWork(arguments.Milliseconds("work-ms", 0), arguments.Has("echo"))));
    await host.StartAsync();
    Console.WriteLine($"ready {Environment.ProcessId}");

    var expect = arguments.Int("expect", 0);
    if (expect > 0)
    {
        // The test waits for this process to exit; it does so once every expected job is done, whoever ran it.
        var store = host.Services.GetRequiredService<IJobStore>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!input.Closed.IsCancellationRequested)
        {
            var counts = await store.CountAsync(null);
            if (counts.Succeeded >= expect && counts.Unfinished == 0)
            {
                break;
            }

            await timer.WaitForNextTickAsync(input.Closed).AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
    else
    {
        await input.WaitForCloseAsync();
    }

    await host.StopAsync();
    return 0;
}

static async Task<int> LockAsync(WorkerArguments arguments, StandardInput input)
{
    using var log = new AppendOnlyLog(arguments.Text("log"));
    using var host = BuildHost(arguments, _ => { });

    // Only the lock provider is needed: create the schema without starting the job runner.
    foreach (var initializer in host.Services.GetServices<IStoreInitializer>())
    {
        await initializer.InitializeAsync(CancellationToken.None);
    }

    var locks = host.Services.GetRequiredService<IDistributedLockProvider>();
    var name = arguments.Text("name");
    var iterations = arguments.Int("iterations", 100);
    Console.WriteLine($"ready {Environment.ProcessId}");
    await input.WaitForLineAsync("go");

    for (var i = 0; i < iterations; i++)
    {
        var held = await locks.TryAcquireAsync(name, TimeSpan.FromSeconds(30), wait: TimeSpan.FromSeconds(60));
        if (held is null)
        {
            await Console.Error.WriteLineAsync($"worker {Environment.ProcessId} could not acquire '{name}' within 60 s (iteration {i}).");
            return 3;
        }

        await using (held)
        {
            log.Append($"enter {held.FencingToken} {Environment.ProcessId}");
            // Stay inside a little, so another holder's overlapping section would show up between these two lines.
            Thread.SpinWait(10_000);
            await Task.Yield();
            log.Append($"exit {held.FencingToken} {Environment.ProcessId}");
        }

        // Pause outside the lock now and then, so the other processes' waits succeed and holders interleave.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 3)));
    }

    return 0;
}

static async Task<int> CrashAsync(WorkerArguments arguments, StandardInput input)
{
    using var host = BuildHost(
        arguments,
        b => b.AddJob<BlockingHandler, Record>("record").AddQueue(JobOptions.DefaultQueue, q =>
        {
            q.Concurrency = 1;
            q.BatchSize = 1;
        }));
    await host.StartAsync();
    Console.WriteLine($"ready {Environment.ProcessId}");

    // Runs until the test kills it; stdin closing (the test process died) only ends a leftover process.
    await input.WaitForCloseAsync();
    return 0;
}

static async Task<int> ScheduleAsync(WorkerArguments arguments, StandardInput input)
{
    using var log = new AppendOnlyLog(arguments.Text("log"));
    using var host = BuildHost(
        arguments,
        b => b.AddJob<TickHandler, Tick>("tick").AddRecurring("tick", "* * * * * *", new Tick()),
        s =>
        {
            s.AddSingleton(log);
            s.Configure<SchedulerOptions>(o => o.StoreCheckInterval = TimeSpan.FromMilliseconds(200));
        });
    await host.StartAsync();
    Console.WriteLine($"ready {Environment.ProcessId}");
    await input.WaitForCloseAsync();
    await host.StopAsync();
    return 0;
}
