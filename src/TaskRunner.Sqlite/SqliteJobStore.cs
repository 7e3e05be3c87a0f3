namespace TaskRunner.Sqlite;

/// <summary>The job store on a SQLite file: every write is one <c>BEGIN IMMEDIATE</c> transaction, so it is atomic
/// across every process sharing the file; claim and every lease-guarded write are single statements.</summary>
/// <remarks>Split by area into partial files (enqueue, claim, leases and completion, administration); the statements
/// are in <see cref="SqliteJobSql"/>, the row mappings in <see cref="SqliteJobRows"/>, batches in <see cref="SqliteBatches"/>.</remarks>
internal sealed partial class SqliteJobStore : IJobStore, IJobStoreNotifications
{
    private readonly SqliteDatabase _database;

    public SqliteJobStore(SqliteDatabase database) => _database = database;

    public JobStoreCapabilities Capabilities => JobStoreCapabilities.ChangeVersion | JobStoreCapabilities.Notifications | JobStoreCapabilities.Shared;

    /// <summary>Watches the file's data version: another process's commit wakes this process's pollers within
    /// <see cref="SqliteChangeWatcher.Interval"/>.</summary>
    public ValueTask<IAsyncDisposable> ListenAsync(Action<string?> onWork, CancellationToken cancellationToken) =>
        SqliteChangeWatcher.StartAsync(_database, onWork, cancellationToken);

    public ValueTask<long> GetChangeVersionAsync(CancellationToken cancellationToken = default) =>
        _database.GetChangeVersionAsync(cancellationToken);

    public ValueTask<IReadOnlyList<EnqueueResult>> CreateBatchAsync(NewBatch batch, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return _database.WriteAsync((batch, now), static (session, state) => (IReadOnlyList<EnqueueResult>)SqliteBatches.Create(session, state.batch, state.now), cancellationToken);
    }

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(id, static (session, id) => SqliteBatches.GetStatus(session, id), cancellationToken);
}
