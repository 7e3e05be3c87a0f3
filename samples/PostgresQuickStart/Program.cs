// PostgresQuickStart: the QuickStart jobs on PostgreSQL, run by two worker processes sharing one schema.
//
//   dotnet run --project samples/PostgresQuickStart -- "Host=127.0.0.1;Username=taskrunner;Password=...;Database=..."
//   (or set TASKRUNNER_POSTGRES and pass no argument)
//
// The program creates a fresh schema name, starts two copies of itself as workers (`worker <schema> <name>`), enqueues
// the jobs from this process (which runs none), watches the counts until everything has finished, prints which worker ran
// how many jobs, stops the workers by closing their stdin and drops the schema.
// Exit code 0 when every job finished successfully, 1 otherwise.
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TaskRunner;
using TaskRunner.Postgres;

if (args is ["worker", var workerSchema, var workerName, ..])
{
    return await RunWorkerAsync(workerSchema, workerName);
}

var connectionString = args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("TASKRUNNER_POSTGRES");
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("Usage: dotnet run --project samples/PostgresQuickStart -- \"<connection string>\" (or set TASKRUNNER_POSTGRES)");
    return 1;
}

// A fresh schema on every run, so reruns start clean; it is dropped at the end.
var schema = $"quickstart_{Guid.NewGuid():N}"[..23];
Console.WriteLine($"TaskRunner PostgresQuickStart — schema: {schema}");

var workers = new List<Process>();
var exitCode = 1;
try
{
    // Two worker processes: this program's own dll, run by the same dotnet host.
    var dll = Assembly.GetEntryAssembly()!.Location;
    var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
    foreach (var name in new[] { "worker-1", "worker-2" })
    {
        var start = new ProcessStartInfo(dotnet) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, "worker", schema, name })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["TASKRUNNER_POSTGRES"] = connectionString; // not on the command line, where `ps` shows it
        workers.Add(Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}"));
        Console.WriteLine($"Started {name}");
    }

    exitCode = await RunParentAsync(connectionString, schema);
}
finally
{
    // Closing stdin asks each worker to stop gracefully; one that does not exit in time is killed.
    foreach (var worker in workers)
    {
        try
        {
            worker.StandardInput.Close();
        }
        catch (IOException)
        {
            // already gone
        }
    }

    foreach (var worker in workers)
    {
        using var waitLimit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await worker.WaitForExitAsync(waitLimit.Token);
        }
        catch (OperationCanceledException)
        {
            worker.Kill(entireProcessTree: true);
            exitCode = 1;
        }

        if (worker.ExitCode != 0)
        {
            Console.Error.WriteLine($"A worker exited with code {worker.ExitCode}.");
            exitCode = 1;
        }

        worker.Dispose();
    }

    Console.WriteLine("Workers stopped");
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
    await drop.ExecuteNonQueryAsync();
    Console.WriteLine($"Dropped schema {schema}");
}

return exitCode;

// ---- The parent: enqueues and watches, runs no job ----

static async Task<int> RunParentAsync(string connectionString, string schema)
{
    // The host is built but not started: no queue is processed here. The store creates the schema on its first call.
    using var host = BuildHost(connectionString, schema);
    var jobs = host.Services.GetRequiredService<IJobClient>();
    var store = host.Services.GetRequiredService<IJobStore>();
    var clock = Stopwatch.StartNew();

    await jobs.EnqueueManyAsync(Enumerable.Range(1, 300).Select(i => new SendEmail($"user{i}@example.com")));
    Console.WriteLine("Enqueued 300 send-email jobs");
    await jobs.EnqueueManyAsync(Enumerable.Range(1, 20).Select(i => new ChargeCard(OrderId: i)), new JobOptions { MaxAttempts = 3 });
    Console.WriteLine("Enqueued 20 charge-card jobs (each fails once, then succeeds on retry)");
    await jobs.EnqueueManyAsync(Enumerable.Range(1, 5).Select(i => new SendReminder($"meeting {i}")), new JobOptions { Delay = TimeSpan.FromSeconds(1.5) });
    Console.WriteLine("Enqueued 5 send-reminder jobs, delayed by 1.5 s");
    var resizeId = await jobs.EnqueueAsync(new ResizeImage("cat.png"));
    Console.WriteLine("Enqueued 1 resize-image job that reports progress");
    var batchId = await jobs.EnqueueBatchAsync(
        Enumerable.Range(0, 50).Select(shard => new ImportRows(shard)),
        continuation: JobContinuation.For(new ImportDone(Shards: 50)));
    Console.WriteLine("Enqueued a batch of 50 import-rows shards with an import-done continuation");
    Console.WriteLine();

    var deadline = TimeSpan.FromSeconds(60);
    using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
    JobCounts counts;
    var lastLine = "";
    while (true)
    {
        counts = await store.CountAsync(queue: null);
        if (counts.Unfinished == 0 || clock.Elapsed > deadline)
        {
            break;
        }

        var line = $"{counts.Succeeded,4} succeeded, {counts.Pending + counts.Running,4} pending or running, {counts.Failed,2} waiting for retry, {counts.Scheduled,2} scheduled";
        if (line != lastLine)
        {
            Console.WriteLine($"[{clock.Elapsed.TotalSeconds,4:F1} s] {line}");
            lastLine = line;
        }

        await ticker.WaitForNextTickAsync();
    }

    var resized = await jobs.GetAsync(resizeId);
    var batch = await jobs.GetBatchAsync(batchId);
    var continuation = batch?.ContinuationId is { } continuationId ? await jobs.GetAsync(continuationId) : null;
    Console.WriteLine();
    Console.WriteLine($"Stopped watching after {clock.Elapsed.TotalSeconds:F1} s.");
    Console.WriteLine($"  resize-image progress: {resized?.ProgressPercent}% \"{resized?.ProgressMessage}\"");
    Console.WriteLine($"  import batch: {batch?.Counts.Succeeded}/{batch?.Counts.Total} shards succeeded; continuation {continuation?.State}");
    Console.WriteLine("Jobs by state:");
    foreach (var state in Enum.GetValues<JobState>())
    {
        Console.WriteLine($"  {state,-13}{counts[state],5}");
    }

    // Every handler stores the name of the worker that ran it as the job's result; count them.
    var byWorker = new SortedDictionary<string, int>(StringComparer.Ordinal);
    JobId? after = null;
    while (true)
    {
        var page = await store.ListAsync(new JobQuery { State = JobState.Succeeded, AfterId = after, Limit = 100 });
        foreach (var job in page)
        {
            var worker = WorkerOf(job) ?? "(unknown)";
            byWorker[worker] = byWorker.GetValueOrDefault(worker) + 1;
        }

        if (page.Count < 100)
        {
            break;
        }

        after = page[^1].Id;
    }

    Console.WriteLine("Succeeded jobs by process:");
    foreach (var (worker, count) in byWorker)
    {
        Console.WriteLine($"  {worker,-13}{count,5}");
    }

    var allSucceeded = counts.Unfinished == 0 && counts.Succeeded == counts.Total;
    if (!allSucceeded)
    {
        Console.Error.WriteLine(counts.Unfinished > 0
            ? $"{counts.Unfinished} jobs were still unfinished after {deadline.TotalSeconds} s."
            : $"{counts.Total - counts.Succeeded} jobs did not succeed.");
    }

    return allSucceeded ? 0 : 1;
}

static string? WorkerOf(JobRecord job)
{
    if (job.Result is not { } result)
    {
        return null;
    }

    using var document = JsonDocument.Parse(result);
    return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("worker", out var worker)
        ? worker.GetString()
        : null;
}

// ---- A worker: runs the queue until its stdin is closed ----

static async Task<int> RunWorkerAsync(string schema, string name)
{
    var connectionString = Environment.GetEnvironmentVariable("TASKRUNNER_POSTGRES");
    if (string.IsNullOrWhiteSpace(connectionString))
    {
        Console.Error.WriteLine($"{name}: TASKRUNNER_POSTGRES is not set");
        return 1;
    }

    WorkerName.Value = name;
    using var host = BuildHost(connectionString, schema);
    await host.StartAsync();
    await Console.In.ReadToEndAsync(); // returns when the parent closes our stdin (or exits)
    await host.StopAsync();
    return 0;
}

static IHost BuildHost(string connectionString, string schema)
{
    var builder = Host.CreateApplicationBuilder();
    // Keep the console for this sample's own lines: failed attempts are logged as warnings, and here they are on purpose.
    builder.Logging.SetMinimumLevel(LogLevel.Error);
    builder.Services.AddTaskRunnerWorker(b =>
    {
        b.UsePostgres(connectionString, o => o.Schema = schema);
        b.AddQueue("default", q => q.Concurrency = 8);
        b.Configure(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(200)); // retry failures quickly for the demo

        b.AddJob<SendEmailHandler, SendEmail>("send-email");
        b.AddJob<ChargeCardHandler, ChargeCard>("charge-card");
        b.AddJob<SendReminderHandler, SendReminder>("send-reminder");
        b.AddJob<ResizeImageHandler, ResizeImage>("resize-image");
        b.AddJob<ImportRowsHandler, ImportRows>("import-rows");
        b.AddJob<ImportDoneHandler, ImportDone>("import-done");
    });
    return builder.Build();
}

// ---- Payloads (serialized as JSON) and their handlers; each records which worker ran it ----

internal static class WorkerName
{
    public static string Value { get; set; } = "parent";
}

internal sealed record SendEmail(string To);

internal sealed class SendEmailHandler : IJobHandler<SendEmail>
{
    public ValueTask ExecuteAsync(SendEmail payload, JobContext context)
    {
        context.SetResult(new { Worker = WorkerName.Value });
        return ValueTask.CompletedTask;
    }
}

internal sealed record ChargeCard(int OrderId);

internal sealed class ChargeCardHandler : IJobHandler<ChargeCard>
{
    public ValueTask ExecuteAsync(ChargeCard payload, JobContext context)
    {
        // The first attempt always fails; the retry may well run in the other worker.
        if (context.Attempt == 1)
        {
            if (payload.OrderId == 1)
            {
                Console.WriteLine($"  {WorkerName.Value} charge-card: order 1 failed on attempt 1 (as will the other 19); retrying in ~200 ms");
            }

            throw new TimeoutException($"payment gateway timed out for order {payload.OrderId}");
        }

        if (payload.OrderId == 1)
        {
            Console.WriteLine($"  {WorkerName.Value} charge-card: order 1 succeeded on attempt {context.Attempt}");
        }

        context.SetResult(new { Worker = WorkerName.Value });
        return ValueTask.CompletedTask;
    }
}

internal sealed record SendReminder(string Subject);

internal sealed class SendReminderHandler : IJobHandler<SendReminder>
{
    public ValueTask ExecuteAsync(SendReminder payload, JobContext context)
    {
        Console.WriteLine($"  {WorkerName.Value} send-reminder: {payload.Subject} (delayed)");
        context.SetResult(new { Worker = WorkerName.Value });
        return ValueTask.CompletedTask;
    }
}

internal sealed record ResizeImage(string File);

internal sealed class ResizeImageHandler : IJobHandler<ResizeImage>
{
    public async ValueTask ExecuteAsync(ResizeImage payload, JobContext context)
    {
        for (var percent = 25; percent <= 100; percent += 25)
        {
            await Task.Delay(100, context.CancellationToken); // pretend to work
            await context.ReportProgressAsync(percent, percent < 100 ? $"resizing {payload.File}" : $"{payload.File} resized");
        }

        context.SetResult(new { Worker = WorkerName.Value, Width = 640, Height = 480 });
    }
}

internal sealed record ImportRows(int Shard);

internal sealed class ImportRowsHandler : IJobHandler<ImportRows>
{
    public ValueTask ExecuteAsync(ImportRows payload, JobContext context)
    {
        context.SetResult(new { Worker = WorkerName.Value });
        return ValueTask.CompletedTask;
    }
}

internal sealed record ImportDone(int Shards);

internal sealed class ImportDoneHandler : IJobHandler<ImportDone>
{
    public ValueTask ExecuteAsync(ImportDone payload, JobContext context)
    {
        Console.WriteLine($"  {WorkerName.Value} import-done: all {payload.Shards} shards of the batch finished");
        context.SetResult(new { Worker = WorkerName.Value });
        return ValueTask.CompletedTask;
    }
}
