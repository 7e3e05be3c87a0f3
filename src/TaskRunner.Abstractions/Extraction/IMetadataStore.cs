namespace TaskRunner.Extraction;

/// <summary>Persistence of extracted metadata, one record per path.</summary>
public interface IMetadataStore
{
    /// <summary>Reads one path's record.</summary>
    ValueTask<FileMetadata?> GetAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Reads every record (the pipeline loads its cache from this at start).</summary>
    IAsyncEnumerable<FileMetadata> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces one path's record.</summary>
    ValueTask UpsertAsync(FileMetadata metadata, CancellationToken cancellationToken = default);

    /// <summary>Deletes one path's record.</summary>
    /// <returns>Whether it existed.</returns>
    ValueTask<bool> RemoveAsync(string path, CancellationToken cancellationToken = default);
}
