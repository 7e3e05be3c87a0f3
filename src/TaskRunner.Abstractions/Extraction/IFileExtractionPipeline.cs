namespace TaskRunner.Extraction;

/// <summary>One file extraction pipeline (a root kept in step with its metadata), resolved by its name as a keyed
/// service, or all of them as <c>IEnumerable&lt;IFileExtractionPipeline&gt;</c>.</summary>
public interface IFileExtractionPipeline : IFileMetadataView
{
    /// <summary>The pipeline's name, given at registration.</summary>
    string Name { get; }

    /// <summary>The full path of the watched root.</summary>
    string Root { get; }

    /// <summary>Whether changes are being watched (the file system watcher, or the polling source it fell back to).</summary>
    bool WatcherAlive { get; }

    /// <summary>Whether changes are found by polling (chosen, or fallen back to because watching failed).</summary>
    bool Polling { get; }

    /// <summary>When the last reconciling scan finished, or <see langword="null"/> before the first.</summary>
    DateTimeOffset? LastRescanAt { get; }

    /// <summary>Changes received and not yet handed to the job store.</summary>
    int QueueLength { get; }

    /// <summary>Asks for a reconciling scan of the tree against the metadata store.</summary>
    void RequestRescan();
}
