using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using TaskRunner.Extraction;

namespace TaskRunner.Tests.Extraction;

/// <summary>Reads the whole file and stores its text and line count; counts calls per path; can block or fail on demand.</summary>
internal sealed class TestExtractor : IExtractor
{
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Awaited before reading, with the path and attempt (to hold an extraction open).</summary>
    public Func<string, int, Task>? Before { get; set; }

    /// <summary>Thrown from the extraction of a path, when it returns an exception.</summary>
    public Func<string, int, Exception?>? Fail { get; set; }

    public int CallsFor(string path) => Calls.Count(p => p == path);

    public async ValueTask<ReadOnlyMemory<byte>> ExtractAsync(ExtractionContext context, PipeReader content, CancellationToken cancellationToken)
    {
        Calls.Enqueue(context.Entry.Path);
        if (Before is { } before)
        {
            await before(context.Entry.Path, context.Attempt);
        }

        if (Fail?.Invoke(context.Entry.Path, context.Attempt) is { } error)
        {
            throw error;
        }

        var text = new StringBuilder();
        while (true)
        {
            var result = await content.ReadAsync(cancellationToken);
            text.Append(Encoding.UTF8.GetString(result.Buffer.ToArray()));
            content.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await content.CompleteAsync();
        return JsonSerializer.SerializeToUtf8Bytes(new { text = text.ToString() });
    }

    public static string TextOf(FileMetadata metadata) =>
        JsonDocument.Parse(metadata.Metadata).RootElement.GetProperty("text").GetString()!;
}
