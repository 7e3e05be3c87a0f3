using System.IO.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner.Extraction;

namespace TaskRunner.WorkerHost;

/// <summary>The "extract" mode: a file extraction pipeline "docs" over --root on the shared SQLite file, whose extractor
/// appends "&lt;path&gt; &lt;pid&gt;" to the log per extraction. Ready once its start-up scan is done; stops when stdin closes.</summary>
internal static class ExtractWorker
{
    public static async Task<int> RunAsync(WorkerArguments arguments, StandardInput input)
    {
        using var log = new AppendOnlyLog(arguments.Text("log"));
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(log);
        builder.Services.AddTaskRunnerWorker(b =>
        {
            Sqlite.SqliteTaskRunnerBuilderExtensions.UseSqlite(b, arguments.Text("db"));
            b.Configure(o => o.NodeId = $"extract-{Environment.ProcessId}");
            b.AddFileExtraction<LoggingExtractor>("docs", arguments.Text("root"), o =>
            {
                o.DebounceDelay = TimeSpan.FromSeconds(1);
                o.MaxDelay = TimeSpan.FromSeconds(30);
            });

            // Another process's enqueue does not wake this one: poll its due work often.
            b.AddQueue("extract.docs", q => q.UseIdleBackoff(o =>
            {
                o.MinDelay = TimeSpan.FromMilliseconds(20);
                o.MaxDelay = TimeSpan.FromMilliseconds(50);
            }));
        });
        using var host = builder.Build();
        await host.StartAsync();
        var pipeline = host.Services.GetRequiredKeyedService<IFileExtractionPipeline>("docs");
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20)))
        {
            while (pipeline.LastRescanAt is null && await timer.WaitForNextTickAsync(input.Closed).AsTask().ContinueWith(t => t.Status == TaskStatus.RanToCompletion, TaskScheduler.Default))
            {
            }
        }

        Console.WriteLine($"ready {Environment.ProcessId}");
        await input.WaitForCloseAsync();
        await host.StopAsync();
        return 0;
    }

    private sealed class LoggingExtractor(AppendOnlyLog log) : IExtractor
    {
        public async ValueTask<ReadOnlyMemory<byte>> ExtractAsync(ExtractionContext context, PipeReader content, CancellationToken cancellationToken)
        {
            long length = 0;
            while (true)
            {
                var result = await content.ReadAsync(cancellationToken);
                length += result.Buffer.Length;
                content.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            log.Append($"{context.Entry.Path} {Environment.ProcessId}");
            return System.Text.Encoding.UTF8.GetBytes($"{{\"length\":{length}}}");
        }
    }
}
