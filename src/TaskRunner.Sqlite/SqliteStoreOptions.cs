namespace TaskRunner.Sqlite;

/// <summary>Settings of the SQLite backend: which file holds jobs, locks, schedules and metadata, and how it is opened.</summary>
public sealed class SqliteStoreOptions
{
    private static readonly OptionRange<TimeSpan> BusyTimeoutRange = new($"{nameof(SqliteStoreOptions)}.{nameof(BusyTimeout)}", TimeSpan.Zero, TimeSpan.FromMinutes(5));
    private static readonly OptionRange<int> MaxReadConnectionsRange = new($"{nameof(SqliteStoreOptions)}.{nameof(MaxReadConnections)}", 1, 64);

    // 1 MiB to 1 GiB.
    private static readonly OptionRange<long> WalSizeLimitRange = new($"{nameof(SqliteStoreOptions)}.{nameof(WalSizeLimit)}", 1L << 20, 1L << 30, "bytes");

    /// <summary>The database file. Several processes may share it; its directory is created if missing.</summary>
    /// <value>No default: it must be set.</value>
    public string Path { get; set; } = "";

    /// <summary>How long in total a call waits for another process's write lock (over a first try and two retries with
    /// backoff) before it fails with a transient <see cref="JobStoreException"/>.</summary>
    /// <value>Defaults to 5 seconds; allowed 0 to 5 minutes.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many connections may read at once (writes share one connection per process, as SQLite allows one writer).</summary>
    /// <value>Defaults to 4; allowed 1 to 64.</value>
    public int MaxReadConnections { get; set; } = 4;

    /// <summary>The size in bytes above which the write-ahead log is checkpointed into the database and truncated, after the
    /// commit that passed it. The store also checkpoints and truncates it after one second without writes. The WAL stays
    /// below this plus one transaction, unless a reader in another process keeps an old snapshot open for longer.</summary>
    /// <value>Defaults to 64 MiB; allowed 1 MiB to 1 GiB.</value>
    public long WalSizeLimit { get; set; } = 64L << 20;

    /// <summary>Checks every setting.</summary>
    /// <returns>One message per invalid setting, naming the option, the value and the allowed range; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Path))
        {
            errors.Add($"{nameof(SqliteStoreOptions)}.{nameof(Path)} is '{Path}'; it must name a database file.");
        }

        BusyTimeoutRange.Check(BusyTimeout, errors);
        MaxReadConnectionsRange.Check(MaxReadConnections, errors);
        WalSizeLimitRange.Check(WalSizeLimit, errors);
        return errors;
    }
}
