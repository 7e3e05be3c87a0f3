namespace TaskRunner;

/// <summary>The worker processes of a store (nodes): each registers itself and renews its entry while it runs, so any
/// process can see which queues and job names have a live worker. Every backend implements it over its shared storage; a
/// node's entry is an upsert by id, and stale entries (no heartbeat within the expiry) are purged by whichever node runs
/// the purge. All times are passed in.</summary>
public interface INodeRegistry
{
    /// <summary>Stores <paramref name="node"/>, replacing the entry with its id (registration and heartbeat alike).</summary>
    ValueTask UpsertAsync(NodeRecord node, CancellationToken cancellationToken = default);

    /// <summary>Every entry, stale ones included until purged, ordered by id.</summary>
    ValueTask<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a node's entry (a graceful stop). Returns whether it existed.</summary>
    ValueTask<bool> RemoveAsync(string nodeId, CancellationToken cancellationToken = default);

    /// <summary>Removes entries whose last heartbeat is before <paramref name="heartbeatBefore"/>. Returns how many.</summary>
    ValueTask<int> PurgeAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken = default);

    /// <summary>The <see cref="JobState.Pending"/> jobs grouped by queue and job name, ordered by queue then name: the work
    /// that waits for a worker (delayed and retrying jobs are not due yet, so not counted).</summary>
    ValueTask<IReadOnlyList<PendingWork>> ListPendingWorkAsync(CancellationToken cancellationToken = default);
}
