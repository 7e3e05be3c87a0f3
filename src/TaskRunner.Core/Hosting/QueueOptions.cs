namespace TaskRunner;

/// <summary>One queue's settings: its worker slots, claim batch size, share of the global limit and polling strategy.</summary>
public sealed class QueueOptions
{
    /// <summary>Creates settings for the queue <paramref name="name"/>.</summary>
    public QueueOptions(string name) => Name = name;

    /// <summary>The queue's name.</summary>
    public string Name { get; }

    /// <summary>How many jobs of this queue run at once in this process.</summary>
    /// <value>Defaults to 10. Range 1–1024.</value>
    public int Concurrency { get; set; } = 10;

    /// <summary>The most jobs claimed in one store call (the polling strategy may ask for fewer). A claim never takes
    /// more than the free worker slots plus the prefetch, so with the default prefetch this only caps claims ahead on a
    /// store that claims ahead (<see cref="JobStoreCapabilities.ClaimAhead"/>) and queues of more than this many workers.</summary>
    /// <value>Defaults to 256. Range 1–1000.</value>
    public int BatchSize { get; set; } = 256;

    /// <summary>Jobs claimed beyond the free worker slots, so the next ones are ready when a worker frees up: fewer,
    /// larger claims on a busy queue (on SQLite, the difference between a claim of 10 and one of 100). Prefetched jobs
    /// are leased while they wait; one whose lease would lapse before the next heartbeat when a worker reaches it is
    /// handed back unrun (its attempt not counted). They count against the global limit.</summary>
    /// <value>Defaults to <see langword="null"/>: automatic. On a store that declares
    /// <see cref="JobStoreCapabilities.ClaimAhead"/> (PostgreSQL, where a claim is a round trip to the server) the queue
    /// prefetches as many jobs as its workers run during one claim, from the claim and job times it measures (none until
    /// it has measured both), at most <see cref="BatchSize"/>: short jobs are claimed in large batches, long ones
    /// (which would wait in this process while another one idles) are not prefetched. On other stores, and on a queue with a
    /// <see cref="ClusterConcurrency"/> (where a prefetched job holds one of the cluster's slots), 0. Range 0–1000.</value>
    public int? Prefetch { get; set; }

    /// <summary>The most jobs of this queue running at once across all processes sharing the store (a cluster-wide cap,
    /// enforced in the claim); <see langword="null"/> for none, each process then bounded by <see cref="Concurrency"/> only.</summary>
    /// <value>Defaults to <see langword="null"/>. Range 1–100000.</value>
    public int? ClusterConcurrency { get; set; }

    /// <summary>The queue's share of the global concurrency limit when queues compete for it.</summary>
    /// <value>Defaults to 1. Range 1–100.</value>
    public int Weight { get; set; } = 1;

    /// <summary>Whether this process starts with the queue paused (claims nothing from it until resumed through
    /// <see cref="IQueueControl"/> or a configuration reload that clears it).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Paused { get; set; }

    /// <summary>Creates the queue's polling strategy (one instance per queue); <see langword="null"/> for the default
    /// (exponential backoff while idle).</summary>
    public Func<IServiceProvider, IPollingStrategy>? PollingStrategyFactory { get; set; }
}
