namespace TaskRunner.Postgres;

/// <summary>The job store on PostgreSQL. Claim, heartbeat, complete and recovery are one statement each (batched over
/// arrays); a claim takes rows with <c>FOR UPDATE SKIP LOCKED</c>, so claimers on many machines never wait on each other's
/// rows. Transactions are used only where several statements must be atomic (a finished batch's continuation, cancel,
/// keyed enqueues). Split by area: enqueue and batches (<c>PostgresJobStore.Enqueue.cs</c>), the claim (<c>.Claim.cs</c>),
/// leases and completion (<c>.Leases.cs</c>), administration and queries (<c>.Admin.cs</c>); the statements are in
/// <see cref="PostgresSql"/>.</summary>
internal sealed partial class PostgresJobStore : IJobStore, IJobStoreNotifications
{
    /// <summary>How many due scheduled jobs or retries one claim promotes to pending (the rest follow on the next claim).</summary>
    private const int PromoteLimit = 10_000;

    /// <summary>How many times an enqueue retries a job whose key clashed with a job that finished before it could be read.</summary>
    private const int MaxKeyRetries = 3;

    private readonly PostgresDatabase _database;

    // The array of the last JobNames instance claimed with: the engine passes the same set on every claim.
    private NamesCache? _names;

    public PostgresJobStore(PostgresDatabase database) => _database = database;

    /// <summary>Shared by many processes, with LISTEN/NOTIFY wake-ups; no cheap change counter (an idle poll's claim is one
    /// index probe anyway). Claims ahead: a claim is a round trip of milliseconds to the server, so a queue without a set
    /// prefetch claims what its workers run meanwhile, in one statement (benchmarks/README.md, PostgreSQL).</summary>
    public JobStoreCapabilities Capabilities => JobStoreCapabilities.Shared | JobStoreCapabilities.Notifications | JobStoreCapabilities.ClaimAhead;

    public ValueTask<IAsyncDisposable> ListenAsync(Action<string?> onWork, CancellationToken cancellationToken) =>
        _database.Notifier.SubscribeAsync(onWork, cancellationToken);
}
