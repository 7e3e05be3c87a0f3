using System.Reflection;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>Keeps this worker's entry in the <see cref="INodeRegistry"/> (queues it claims from, job names it has handlers
/// for, last heartbeat), purges stale entries, and finds pending work no live worker serves: it is logged as a warning
/// when first seen, and shown on the monitor, the health check and the <c>taskrunner.jobs.unserved</c> gauge.</summary>
internal sealed class NodeHeartbeat(RunnerServices runner, INodeRegistry registry, Func<IReadOnlyList<string>> servedQueues)
{
    private static readonly string AppVersion =
        Assembly.GetEntryAssembly() is { } entry
            ? entry.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? entry.GetName().Version?.ToString() ?? "unknown"
            : "unknown";

    private readonly DateTimeOffset _startedAt = runner.TimeProvider.GetUtcNow();
    private readonly Lock _gate = new();
    private HashSet<(string Queue, string JobName)> _warned = [];

    /// <summary>The pending work no live worker served at the last check.</summary>
    public IReadOnlyList<UnservedWork> Unserved { get; private set; } = [];

    public async Task RunAsync(PeriodicTimer timer, CancellationToken stop)
    {
        using (timer)
        {
            try
            {
                while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                {
                    await BeatAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }
    }

    /// <summary>Registers (or renews) this node, purges stale ones and recomputes the unserved work. Never throws for a
    /// store failure (logged): the next beat tries again.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = runner.TimeProvider.GetUtcNow();
            var expiry = runner.Options.NodeExpiry;
            await registry.UpsertAsync(Self(now), cancellationToken).ConfigureAwait(false);
            await registry.PurgeAsync(now - expiry, cancellationToken).ConfigureAwait(false);
            var live = (await registry.ListAsync(cancellationToken).ConfigureAwait(false)).Where(n => n.LastHeartbeatAt >= now - expiry).ToList();
            var pending = await registry.ListPendingWorkAsync(cancellationToken).ConfigureAwait(false);
            Update(Find(live, pending));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MaintenanceFailed(runner.Logger, "nodes", ex);
        }
    }

    /// <summary>Removes this node's entry at a graceful stop, so others stop counting it at once.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await registry.RemoveAsync(runner.Node.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Its entry expires by itself.
            Log.MaintenanceFailed(runner.Logger, "nodes", ex);
        }
    }

    /// <summary>Pending work that no live node serves, with whether its queue has a worker at all.</summary>
    internal static List<UnservedWork> Find(IReadOnlyList<NodeRecord> live, IReadOnlyList<PendingWork> pending) =>
        [.. pending
            .Where(w => !live.Any(n => n.Serves(w.Queue, w.JobName)))
            .Select(w => new UnservedWork(w.Queue, w.JobName, w.Count, live.Any(n => n.Queues.Contains(w.Queue, StringComparer.Ordinal))))];

    private NodeRecord Self(DateTimeOffset now) => new()
    {
        Id = runner.Node.Id,
        Host = Environment.MachineName,
        Version = AppVersion,
        Queues = servedQueues(),
        JobNames = [.. runner.Registry.Names.Order(StringComparer.Ordinal)],
        ClaimsAnyJobName = runner.Options.ClaimAnyJobName,
        StartedAt = _startedAt,
        LastHeartbeatAt = now,
    };

    /// <summary>Beats may overlap (the timer's and a pause's): each is idempotent, and the warning state is kept under a lock.</summary>
    private void Update(List<UnservedWork> unserved)
    {
        lock (_gate)
        {
            UpdateLocked(unserved);
        }
    }

    private void UpdateLocked(List<UnservedWork> unserved)
    {
        Unserved = unserved;
        var now = unserved.Select(u => (u.Queue, u.JobName)).ToHashSet();

        // Warn once per job name and queue when it becomes unserved (again), not at every beat.
        foreach (var work in unserved.Where(u => !_warned.Contains((u.Queue, u.JobName))))
        {
            Log.UnservedWork(runner.Logger, work.Count, work.ToString());
        }

        _warned = now;
    }
}
