// QuickStart: a few hundred background jobs on an embedded SQLite file, no server needed.
//
//   dotnet run --project samples/QuickStart
//
// It enqueues five kinds of work, prints what happens while they run, then a summary by state.
// Exit code 0 when every job finished successfully, 1 otherwise.
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner;
using TaskRunner.Sqlite;

// A fresh database file on every run, so reruns start clean.
var dbPath = Path.Combine(Path.GetTempPath(), "taskrunner-quickstart.db");
foreach (var file in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" })
{
    File.Delete(file);
}

var builder = Host.CreateApplicationBuilder(args);
// Keep the console for this sample's own lines: the runner logs each failed attempt as a warning, and here they are on purpose.
builder.Logging.SetMinimumLevel(LogLevel.Error);
builder.Services.AddTaskRunnerWorker(b =>
{
    b.UseSqlite(dbPath);
    b.AddQueue("default", q => q.Concurrency = 8);
    b.Configure(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(200)); // retry failures quickly for the demo

    b.AddJob<SendEmailHandler, SendEmail>("send-email");
    b.AddJob<ChargeCardHandler, ChargeCard>("charge-card");
    b.AddJob<SendReminderHandler, SendReminder>("send-reminder");
    b.AddJob<ResizeImageHandler, ResizeImage>("resize-image");
    b.AddJob<ImportRowsHandler, ImportRows>("import-rows");
    b.AddJob<ImportDoneHandler, ImportDone>("import-done");
});

using var host = builder.Build();
await host.StartAsync();
var jobs = host.Services.GetRequiredService<IJobClient>();
var store = host.Services.GetRequiredService<IJobStore>();
var clock = Stopwatch.StartNew();
Console.WriteLine($"TaskRunner QuickStart — database: {dbPath}");

// 1. Plain jobs, enqueued in one store call.
await jobs.EnqueueManyAsync(Enumerable.Range(1, 300).Select(i => new SendEmail($"user{i}@example.com")));
Console.WriteLine("Enqueued 300 send-email jobs");

// 2. Jobs that fail on their first attempt and succeed when retried (after ~200 ms backoff).
await jobs.EnqueueManyAsync(Enumerable.Range(1, 20).Select(i => new ChargeCard(OrderId: i)), new JobOptions { MaxAttempts = 3 });
Console.WriteLine("Enqueued 20 charge-card jobs (each fails once, then succeeds on retry)");

// 3. Delayed jobs: stored now, run in 1.5 seconds.
await jobs.EnqueueManyAsync(Enumerable.Range(1, 5).Select(i => new SendReminder($"meeting {i}")), new JobOptions { Delay = TimeSpan.FromSeconds(1.5) });
Console.WriteLine("Enqueued 5 send-reminder jobs, delayed by 1.5 s");

// 4. A job that reports its progress; any process can read it from the store.
var resizeId = await jobs.EnqueueAsync(new ResizeImage("cat.png"));
Console.WriteLine("Enqueued 1 resize-image job that reports progress");

// 5. A batch of 50 shards with a continuation that runs once all of them have finished.
var batchId = await jobs.EnqueueBatchAsync(
    Enumerable.Range(0, 50).Select(shard => new ImportRows(shard)),
    continuation: JobContinuation.For(new ImportDone(Shards: 50)));
Console.WriteLine("Enqueued a batch of 50 import-rows shards with an import-done continuation");
Console.WriteLine();

// Watch the store until nothing is left to do (or give up after a minute).
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

// Any process can read a job's progress and a batch's counts back from the store.
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

await host.StopAsync();

var allSucceeded = counts.Unfinished == 0 && counts.Succeeded == counts.Total;
if (!allSucceeded)
{
    Console.Error.WriteLine(counts.Unfinished > 0
        ? $"{counts.Unfinished} jobs were still unfinished after {deadline.TotalSeconds} s."
        : $"{counts.Total - counts.Succeeded} jobs did not succeed.");
}

return allSucceeded ? 0 : 1;

// ---- Payloads (serialized as JSON) and their handlers ----

internal sealed record SendEmail(string To);

internal sealed class SendEmailHandler : IJobHandler<SendEmail>
{
    // A real handler would call an SMTP server here.
    public ValueTask ExecuteAsync(SendEmail payload, JobContext context) => ValueTask.CompletedTask;
}

internal sealed record ChargeCard(int OrderId);

internal sealed class ChargeCardHandler : IJobHandler<ChargeCard>
{
    public ValueTask ExecuteAsync(ChargeCard payload, JobContext context)
    {
        // Simulates a flaky payment gateway: the first attempt always times out. Throwing fails the attempt; the
        // runner stores the error and retries the job with exponential backoff until MaxAttempts.
        if (context.Attempt == 1)
        {
            if (payload.OrderId == 1)
            {
                Console.WriteLine("  charge-card: order 1 failed on attempt 1 (as will the other 19); retrying in ~200 ms");
            }

            throw new TimeoutException($"payment gateway timed out for order {payload.OrderId}");
        }

        if (payload.OrderId == 1)
        {
            Console.WriteLine($"  charge-card: order 1 succeeded on attempt {context.Attempt}");
        }

        return ValueTask.CompletedTask;
    }
}

internal sealed record SendReminder(string Subject);

internal sealed class SendReminderHandler : IJobHandler<SendReminder>
{
    public ValueTask ExecuteAsync(SendReminder payload, JobContext context)
    {
        if (payload.Subject == "meeting 1")
        {
            Console.WriteLine("  send-reminder: the delayed reminders are running now");
        }

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

        context.SetResult(new { Width = 640, Height = 480 });
    }
}

internal sealed record ImportRows(int Shard);

internal sealed class ImportRowsHandler : IJobHandler<ImportRows>
{
    public ValueTask ExecuteAsync(ImportRows payload, JobContext context) => ValueTask.CompletedTask;
}

internal sealed record ImportDone(int Shards);

internal sealed class ImportDoneHandler : IJobHandler<ImportDone>
{
    public ValueTask ExecuteAsync(ImportDone payload, JobContext context)
    {
        Console.WriteLine($"  import-done: all {payload.Shards} shards of the batch finished");
        return ValueTask.CompletedTask;
    }
}
