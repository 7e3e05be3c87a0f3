using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace TaskRunner.Extraction;

/// <summary>Extracted metadata kept in this process's memory: the default for single-process hosts; not durable.</summary>
internal sealed class InMemoryMetadataStore : IMetadataStore
{
    private readonly ConcurrentDictionary<string, FileMetadata> _records = new(StringComparer.Ordinal);

    public ValueTask<FileMetadata?> GetAsync(string path, CancellationToken cancellationToken = default) =>
        new(_records.TryGetValue(path, out var record) ? record : null);

    public async IAsyncEnumerable<FileMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var record in _records.Values.OrderBy(r => r.Path, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask UpsertAsync(FileMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        _records[metadata.Path] = metadata;
        return default;
    }

    public ValueTask<bool> RemoveAsync(string path, CancellationToken cancellationToken = default) =>
        new(_records.TryRemove(path, out _));
}
