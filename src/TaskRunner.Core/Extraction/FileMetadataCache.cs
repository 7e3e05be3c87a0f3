namespace TaskRunner.Extraction;

/// <summary>A pipeline's in-memory copy of its metadata: every write the pipeline makes goes to the store first, then
/// here; a reconciling scan reloads it from the store (picking up other processes' writes). Each update gets the next
/// cursor; removed paths are kept as tombstones so <see cref="GetChangesSince"/> reports them.</summary>
internal sealed class FileMetadataCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MetadataChange> _paths = new(StringComparer.Ordinal);
    private Action<MetadataChange>[] _subscribers = [];
    private long _cursor;
    private int _live;

    public long Cursor => Volatile.Read(ref _cursor);

    public int Count => Volatile.Read(ref _live);

    public FileMetadata? Get(string path)
    {
        lock (_gate)
        {
            return _paths.TryGetValue(path, out var slot) ? slot.Metadata : null;
        }
    }

    public IReadOnlyList<FileMetadata> List()
    {
        lock (_gate)
        {
            return [.. _paths.Values.Where(s => s.Metadata is not null).Select(s => s.Metadata!).OrderBy(m => m.Path, StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<MetadataChange> GetChangesSince(long cursor)
    {
        lock (_gate)
        {
            return [.. _paths.Values.Where(s => s.Cursor > cursor).OrderBy(s => s.Cursor)];
        }
    }

    /// <summary>The live paths under a directory (for a directory deleted or renamed away as a whole).</summary>
    public IReadOnlyList<string> PathsUnder(string directory)
    {
        var prefix = directory + "/";
        lock (_gate)
        {
            return [.. _paths.Values.Where(s => s.Metadata is not null && s.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(s => s.Path)];
        }
    }

    /// <summary>The live paths.</summary>
    public IReadOnlyList<string> Paths()
    {
        lock (_gate)
        {
            return [.. _paths.Values.Where(s => s.Metadata is not null).Select(s => s.Path)];
        }
    }

    public IDisposable Subscribe(Action<MetadataChange> onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, onChange];
        }

        return new Subscription(this, onChange);
    }

    /// <summary>Records a path's new metadata (<see langword="null"/>: removed) and tells the subscribers.</summary>
    public void Set(string path, FileMetadata? metadata)
    {
        MetadataChange change;
        Action<MetadataChange>[] subscribers;
        lock (_gate)
        {
            if (!Changed(path, metadata))
            {
                return;
            }

            change = Apply(path, metadata);
            subscribers = _subscribers;
        }

        foreach (var subscriber in subscribers)
        {
            subscriber(change);
        }
    }

    /// <summary>Replaces the contents with the store's records: differences become updates, as if written here.</summary>
    public void Load(IReadOnlyList<FileMetadata> records)
    {
        List<MetadataChange> changes = [];
        Action<MetadataChange>[] subscribers;
        lock (_gate)
        {
            var present = new HashSet<string>(records.Count, StringComparer.Ordinal);
            foreach (var record in records)
            {
                present.Add(record.Path);
                if (Changed(record.Path, record))
                {
                    changes.Add(Apply(record.Path, record));
                }
            }

            foreach (var slot in _paths.Values.Where(s => s.Metadata is not null && !present.Contains(s.Path)).ToList())
            {
                changes.Add(Apply(slot.Path, null));
            }

            subscribers = _subscribers;
        }

        foreach (var change in changes)
        {
            foreach (var subscriber in subscribers)
            {
                subscriber(change);
            }
        }
    }

    private bool Changed(string path, FileMetadata? metadata)
    {
        var current = _paths.TryGetValue(path, out var slot) ? slot.Metadata : null;
        return (current, metadata) switch
        {
            (null, null) => false,
            (null, _) or (_, null) => true,

            // Compared by what a write changes: record equality would compare the metadata bytes by reference.
            _ => current.Size != metadata.Size || current.LastWriteUtc != metadata.LastWriteUtc || current.ContentHash != metadata.ContentHash
                || current.ExtractedAt != metadata.ExtractedAt || current.Error != metadata.Error,
        };
    }

    private MetadataChange Apply(string path, FileMetadata? metadata)
    {
        var wasLive = _paths.TryGetValue(path, out var old) && old.Metadata is not null;
        var change = new MetadataChange(path, metadata, Interlocked.Increment(ref _cursor));
        _paths[path] = change;
        _live += (metadata is not null ? 1 : 0) - (wasLive ? 1 : 0);
        return change;
    }

    private void Unsubscribe(Action<MetadataChange> onChange)
    {
        lock (_gate)
        {
            _subscribers = [.. _subscribers.Where(s => s != onChange)];
        }
    }

    private sealed class Subscription(FileMetadataCache cache, Action<MetadataChange> onChange) : IDisposable
    {
        public void Dispose() => cache.Unsubscribe(onChange);
    }
}
