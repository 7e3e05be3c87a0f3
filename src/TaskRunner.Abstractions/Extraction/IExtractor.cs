using System.IO.Pipelines;

namespace TaskRunner.Extraction;

/// <summary>The user's code that turns a file's content into metadata.</summary>
public interface IExtractor
{
    /// <summary>Reads <paramref name="content"/> (shared with the content hasher: read it to the end or not at all)
    /// and returns the metadata to store, serialized as UTF-8 JSON.</summary>
    ValueTask<ReadOnlyMemory<byte>> ExtractAsync(ExtractionContext context, PipeReader content, CancellationToken cancellationToken);
}
