namespace TaskRunner.Extraction;

/// <summary>Host code's read side of an extraction pipeline: its in-memory cache of the metadata store, loaded at start
/// and kept consistent with every write the pipeline makes (and reloaded from the store at each reconciling scan).</summary>
public interface IFileMetadataView
{
    /// <summary>The cursor of the latest update (0 before any).</summary>
    long Cursor { get; }

    /// <summary>One path's metadata, or <see langword="null"/> when it has none.</summary>
    FileMetadata? Find(string path);

    /// <summary>Every path's metadata, ordered by path.</summary>
    IReadOnlyList<FileMetadata> List();

    /// <summary>The latest update of every path changed or removed after <paramref name="cursor"/>, in cursor order.
    /// Cursors count this process's updates since it started: after a restart, start again from 0.</summary>
    IReadOnlyList<MetadataChange> GetChangesSince(long cursor);

    /// <summary>Calls <paramref name="onChange"/> after each update, on the thread that made it (keep it short).</summary>
    /// <returns>Dispose it to unsubscribe.</returns>
    IDisposable Subscribe(Action<MetadataChange> onChange);
}
