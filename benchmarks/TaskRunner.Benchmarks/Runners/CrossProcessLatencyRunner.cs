using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskRunner.Postgres;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>latency --backend postgres --cross-process</c>: the jobs are enqueued here and run by a worker process of their own
/// (this program again, in mode <c>latency-worker</c>), so the only wake-up is PostgreSQL's LISTEN/NOTIFY. One job at a
/// time (<c>--jobs</c>, <c>--gap-ms</c> apart), from the <c>EnqueueAsync</c> call to the handler's first line in the other
/// process (<c>latency_us_*</c>), and the enqueue call alone (<c>enqueue_us_p50</c>, its durable commit): both read <see cref="Stopwatch.GetTimestamp"/>, the machine's monotonic clock, the same in every process.
/// </summary>
internal static class CrossProcessLatencyRunner
{
    private const int Warmup = 20;

    public static async Task RunAsync(CommandLine options, int jobs, TimeSpan gap, int workers)
    {
        if (options.Backend() != Backend.Postgres)
        {
            throw new ArgumentException("--cross-process needs --backend postgres: only a shared store has another process to wake.");
        }

        using var schema = new TempSchema();
        using var client = BuildClient(schema.ConnectionString, schema.Name);
        var started = new ConcurrentDictionary<int, TaskCompletionSource<long>>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var worker = StartWorker(schema, workers);
        var reading = Task.Run(async () =>
        {
            while (await worker.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                var parts = line.Split(' ');
                if (parts is ["ready"])
                {
                    ready.TrySetResult();
                }
                else if (parts is ["started", var index, var timestamp])
                {
                    Signal(started, int.Parse(index, System.Globalization.CultureInfo.InvariantCulture)).TrySetResult(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            ready.TrySetException(new InvalidOperationException($"The latency worker exited with {(worker.HasExited ? worker.ExitCode : -1)} before it was ready."));
        });

        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            var jobClient = client.Services.GetRequiredService<IJobClient>();
            var latencies = new double[jobs];
            var enqueues = new double[jobs]; // the EnqueueAsync call alone: the enqueue's durable commit
            for (var i = -Warmup; i < jobs; i++)
            {
                await Task.Delay(gap).ConfigureAwait(false);
                var signal = Signal(started, i);
                var enqueued = Stopwatch.GetTimestamp();
                await jobClient.EnqueueAsync(new Ping(i)).ConfigureAwait(false);
                var accepted = Stopwatch.GetTimestamp();
                var ran = await signal.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                if (i >= 0)
                {
                    latencies[i] = Stopwatch.GetElapsedTime(enqueued, ran).TotalMicroseconds;
                    enqueues[i] = Stopwatch.GetElapsedTime(enqueued, accepted).TotalMicroseconds;
                }
            }

            Figures.PrintLatencies(latencies);
            Array.Sort(enqueues);
            Figures.Print("enqueue_us_p50", Figures.Percentile(enqueues, 50));
        }
        finally
        {
            // Closing its input stops the worker gracefully.
            worker.StandardInput.Close();
            if (!worker.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                worker.Kill(entireProcessTree: true);
            }

            await reading.ConfigureAwait(false);
        }
    }

    /// <summary>The worker process: runs the pings, printing <c>started &lt;index&gt; &lt;timestamp&gt;</c> for each, until its
    /// input closes.</summary>
    public static async Task WorkerAsync(CommandLine options)
    {
        var connectionString = Environment.GetEnvironmentVariable(TempSchema.Variable)
            ?? throw new ArgumentException($"latency-worker needs {TempSchema.Variable}.");
        using var host = BuildWorker(connectionString, options.Get("schema", ""), options.Get("workers", 10));
        await host.StartAsync().ConfigureAwait(false);
        await Console.Out.WriteLineAsync("ready").ConfigureAwait(false);
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false);
    }

    private static TaskCompletionSource<long> Signal(ConcurrentDictionary<int, TaskCompletionSource<long>> started, int index) =>
        started.GetOrAdd(index, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>The enqueuing side: a client only (no handler, no worker), so every ping runs in the worker process.</summary>
    private static IHost BuildClient(string connectionString, string schema)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunner(b => b
            .UsePostgres(connectionString, o => o.Schema = schema)
            .DeclareJob<Ping>("ping"));
        return builder.Build();
    }

    private static IHost BuildWorker(string connectionString, string schema, int workers)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunnerWorker(b => b
            .UsePostgres(connectionString, o => o.Schema = schema)
            .AddQueue("default", q => q.Concurrency = workers)
            .AddJob<ReportingPingHandler, Ping>("ping"));
        return builder.Build();
    }

    private static Process StartWorker(TempSchema schema, int workers)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(CrossProcessLatencyRunner).Assembly.Location);
        }

        foreach (var argument in new[] { "latency-worker", "--schema", schema.Name, "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[TempSchema.Variable] = schema.ConnectionString;
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the latency worker process.");
    }
}

/// <summary>Prints when it started, for the process that enqueued it.</summary>
internal sealed class ReportingPingHandler : IJobHandler<Ping>
{
    public ValueTask ExecuteAsync(Ping payload, JobContext context)
    {
        var timestamp = Stopwatch.GetTimestamp();
        Console.Out.WriteLine($"started {payload.Index} {timestamp}");
        return ValueTask.CompletedTask;
    }
}
