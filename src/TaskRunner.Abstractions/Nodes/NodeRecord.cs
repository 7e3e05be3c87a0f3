namespace TaskRunner;

/// <summary>One worker process as it registered itself in the store (<see cref="INodeRegistry"/>): what it serves and
/// when it last said it was alive.</summary>
public sealed record NodeRecord
{
    /// <summary>The node's id (<c>TaskRunnerOptions.NodeId</c>), also the owner of its leases.</summary>
    public required string Id { get; init; }

    /// <summary>The machine it runs on.</summary>
    public required string Host { get; init; }

    /// <summary>The version of the application it runs (its entry assembly's informational version).</summary>
    public required string Version { get; init; }

    /// <summary>The queues it claims from (paused queues left out).</summary>
    public required IReadOnlyList<string> Queues { get; init; }

    /// <summary>The job names it has handlers for and claims.</summary>
    public required IReadOnlyList<string> JobNames { get; init; }

    /// <summary>Whether it claims every job name (<c>TaskRunnerOptions.ClaimAnyJobName</c>), not only <see cref="JobNames"/>.</summary>
    public bool ClaimsAnyJobName { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it last registered itself; an entry older than the expiry is stale (the process is gone).</summary>
    public required DateTimeOffset LastHeartbeatAt { get; init; }

    /// <summary>Whether this node claims jobs named <paramref name="jobName"/> from <paramref name="queue"/>.</summary>
    public bool Serves(string queue, string jobName) =>
        Queues.Contains(queue, StringComparer.Ordinal) && (ClaimsAnyJobName || JobNames.Contains(jobName, StringComparer.Ordinal));
}
