using System.IO.Pipelines;

namespace TaskRunner.Extraction;

/// <summary>A source of changes the extraction pipeline keeps its metadata in step with (a directory tree first).</summary>
public interface IChangeSource
{
    /// <summary>Streams changes as they happen until cancelled. Ignored paths are never reported.</summary>
    IAsyncEnumerable<ChangeEvent> WatchAsync(CancellationToken cancellationToken);

    /// <summary>Lists every current (not ignored) file, for reconciliation after an overflow or at start.</summary>
    IAsyncEnumerable<SourceEntry> ScanAsync(CancellationToken cancellationToken);

    /// <summary>Describes one file, or <see langword="null"/> if it no longer exists (or is outside the root).</summary>
    ValueTask<SourceEntry?> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens a file's content for reading as a stream of bytes; never executes it.</summary>
    ValueTask<PipeReader> OpenReadAsync(string path, CancellationToken cancellationToken);
}
