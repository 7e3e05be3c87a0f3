// FileIndexer: keeps useful metadata of a folder's files current, with no network. Source files: line count, declared
// types and functions, the leading comment; Markdown: the title and headings; anything else: lines and size. Metadata
// lives in an SQLite file beside the temp directory; every update is printed. Ctrl+C stops it cleanly.
//
//   dotnet run --project samples/FileIndexer -- [folder] [--once]
//
// folder defaults to the current directory; --once exits after the start-up scan has been indexed (for scripts and CI).
using System.Text.Json;
using FileIndexer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner;
using TaskRunner.Extraction;
using TaskRunner.Sqlite;

var once = args.Contains("--once");
var folder = Path.GetFullPath(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? ".");
var database = Path.Combine(Path.GetTempPath(), "taskrunner-fileindexer.db");

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddTaskRunnerWorker(b =>
{
    b.UseSqlite(database);
    b.AddFileExtraction<SourceFileExtractor>("files", folder, o =>
    {
        o.DebounceDelay = TimeSpan.FromSeconds(1); // an editor's save burst settles well within a second
        o.MaxDelay = TimeSpan.FromSeconds(30);
        o.Ignore.Add("bin/");
        o.Ignore.Add("obj/");
        o.Ignore.Add("*.db*");
    });
});
using var host = builder.Build();
var pipeline = host.Services.GetRequiredKeyedService<IFileExtractionPipeline>("files");
using var printer = pipeline.Subscribe(change => Console.WriteLine(Describe(change)));

Console.WriteLine($"Indexing {folder} (metadata in {database}); Ctrl+C to stop.");
await host.StartAsync();
if (once)
{
    // Done when the start-up scan has run and no path's work is left in the store.
    var store = host.Services.GetRequiredService<IJobStore>();
    using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
    while (await timer.WaitForNextTickAsync())
    {
        var counts = await store.CountAsync("extract.files");
        if (pipeline.LastRescanAt is not null && pipeline.QueueLength == 0 && counts.Scheduled + counts.Pending + counts.Running + counts.Failed == 0)
        {
            break;
        }
    }

    Console.WriteLine($"Indexed {pipeline.List().Count} files.");
    await host.StopAsync();
    return 0;
}

await host.WaitForShutdownAsync();
Console.WriteLine($"Stopped; {pipeline.List().Count} files indexed.");
return 0;

static string Describe(MetadataChange change)
{
    if (change.Metadata is not { } metadata)
    {
        return $"- {change.Path}";
    }

    if (metadata.Error is { } error)
    {
        return $"! {change.Path}: {error.Message}";
    }

    using var json = JsonDocument.Parse(metadata.Metadata);
    var root = json.RootElement;
    var parts = new List<string> { $"{root.GetProperty("lines").GetInt32()} lines" };
    if (root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
    {
        parts.Add($"title \"{title.GetString()}\"");
    }

    foreach (var list in new[] { "headings", "types", "functions" })
    {
        if (root.TryGetProperty(list, out var items) && items.GetArrayLength() > 0)
        {
            var names = items.EnumerateArray().Select(i => i.GetString()).ToList();
            parts.Add($"{list}: {string.Join(", ", names.Take(5))}{(names.Count > 5 ? $" (+{names.Count - 5})" : "")}");
        }
    }

    if (root.TryGetProperty("comment", out var comment) && comment.ValueKind == JsonValueKind.String)
    {
        parts.Add($"\"{comment.GetString()}\"");
    }

    return $"+ {change.Path}: {string.Join("; ", parts)}";
}
