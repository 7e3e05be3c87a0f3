namespace TaskRunner.Storage;

/// <summary>Nodes in this process's memory, for the in-memory store (which only this process sees). Pending work is read
/// through <see cref="IJobStore.ListAsync"/>, so it works over whatever job store is registered.</summary>
internal sealed class InMemoryNodeRegistry(IJobStore jobs) : INodeRegistry
{
    private const int Page = 1000;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, NodeRecord> _nodes = new(StringComparer.Ordinal);

    public ValueTask UpsertAsync(NodeRecord node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        lock (_gate)
        {
            _nodes[node.Id] = node with { Queues = [.. node.Queues], JobNames = [.. node.JobNames] };
        }

        return default;
    }

    public ValueTask<IReadOnlyList<NodeRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return new([.. _nodes.Values]);
        }
    }

    public ValueTask<bool> RemoveAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return new(_nodes.Remove(nodeId));
        }
    }

    public ValueTask<int> PurgeAsync(DateTimeOffset heartbeatBefore, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var stale = _nodes.Values.Where(n => n.LastHeartbeatAt < heartbeatBefore).Select(n => n.Id).ToList();
            stale.ForEach(id => _nodes.Remove(id));
            return new(stale.Count);
        }
    }

    public async ValueTask<IReadOnlyList<PendingWork>> ListPendingWorkAsync(CancellationToken cancellationToken = default)
    {
        var counts = new SortedDictionary<(string Queue, string Name), long>(Comparer<(string Queue, string Name)>.Create(static (a, b) =>
            string.CompareOrdinal(a.Queue, b.Queue) is var byQueue and not 0 ? byQueue : string.CompareOrdinal(a.Name, b.Name)));
        JobId? after = null;
        while (true)
        {
            var page = await jobs.ListAsync(new JobQuery { State = JobState.Pending, AfterId = after, Limit = Page }, cancellationToken).ConfigureAwait(false);
            foreach (var job in page)
            {
                counts[(job.Queue, job.Name)] = counts.GetValueOrDefault((job.Queue, job.Name)) + 1;
            }

            if (page.Count < Page)
            {
                break;
            }

            after = page[^1].Id;
        }

        return [.. counts.Select(c => new PendingWork(c.Key.Queue, c.Key.Name, c.Value))];
    }
}
