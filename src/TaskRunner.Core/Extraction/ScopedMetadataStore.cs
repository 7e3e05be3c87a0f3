using System.Runtime.CompilerServices;

namespace TaskRunner.Extraction;

/// <summary>One pipeline's share of the metadata store: its paths are stored as <c>{pipeline}/{path}</c>, so several
/// roots can share one store (one SQLite table) without clashing.</summary>
internal sealed class ScopedMetadataStore(IMetadataStore inner, string pipeline)
{
    private readonly string _prefix = pipeline + "/";

    public async ValueTask<FileMetadata?> GetAsync(string path, CancellationToken cancellationToken)
    {
        var record = await inner.GetAsync(_prefix + path, cancellationToken).ConfigureAwait(false);
        return record is null ? null : record with { Path = path };
    }

    public async IAsyncEnumerable<FileMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in inner.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Path.StartsWith(_prefix, StringComparison.Ordinal))
            {
                yield return record with { Path = record.Path[_prefix.Length..] };
            }
        }
    }

    public ValueTask UpsertAsync(FileMetadata metadata, CancellationToken cancellationToken) =>
        inner.UpsertAsync(metadata with { Path = _prefix + metadata.Path }, cancellationToken);

    public ValueTask<bool> RemoveAsync(string path, CancellationToken cancellationToken) =>
        inner.RemoveAsync(_prefix + path, cancellationToken);
}
