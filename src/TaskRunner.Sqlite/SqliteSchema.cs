using Microsoft.Extensions.Logging;

namespace TaskRunner.Sqlite;

/// <summary>The versioned schema. <c>PRAGMA user_version</c> holds the number of migrations applied; each migration runs
/// once, in a write transaction that re-reads the version, so several processes starting together apply it once.</summary>
internal static partial class SqliteSchema
{
    /// <summary>Times are UTC ticks (INTEGER); states are <see cref="JobState"/> numbers: 0 Scheduled, 1 Pending,
    /// 2 Running, 3 Succeeded, 4 Failed, 5 DeadLettered, 6 Cancelled. Partial indexes keep each hot query's index small:
    /// the claim index covers only pending jobs, so claim cost does not grow with scheduled or finished ones.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            queue TEXT NOT NULL,
            payload BLOB,
            state INTEGER NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            run_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            timeout INTEGER,
            unique_key TEXT,
            idempotency_key TEXT,
            concurrency_key TEXT,
            tags TEXT,
            batch_id BLOB,
            owner TEXT,
            lease_token INTEGER NOT NULL DEFAULT 0,
            lease_expires_at INTEGER,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            progress_percent INTEGER,
            progress_message TEXT,
            result BLOB,
            error_type TEXT,
            error_message TEXT,
            error_stack TEXT,
            finished_at INTEGER,
            trace_parent TEXT
        );
        CREATE INDEX jobs_claim ON jobs (queue, priority DESC, run_at, id) WHERE state = 1;
        CREATE INDEX jobs_due ON jobs (state, run_at) WHERE state IN (0, 4);
        CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 2;
        CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state IN (3, 5, 6);
        CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL AND state IN (0, 1, 2, 4);
        CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX jobs_concurrency_key ON jobs (concurrency_key, state) WHERE concurrency_key IS NOT NULL;
        CREATE INDEX jobs_batch ON jobs (batch_id, state) WHERE batch_id IS NOT NULL;

        CREATE TABLE batches (
            id BLOB PRIMARY KEY,
            created_at INTEGER NOT NULL,
            has_continuation INTEGER NOT NULL,
            continuation_id INTEGER,
            c_name TEXT,
            c_queue TEXT,
            c_payload BLOB,
            c_priority INTEGER,
            c_run_at INTEGER,
            c_max_attempts INTEGER,
            c_timeout INTEGER,
            c_unique_key TEXT,
            c_idempotency_key TEXT,
            c_concurrency_key TEXT,
            c_tags TEXT,
            c_batch_id BLOB,
            c_trace_parent TEXT
        ) WITHOUT ROWID;

        CREATE TABLE locks (
            name TEXT PRIMARY KEY,
            owner TEXT,
            token INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE schedules (
            name TEXT PRIMARY KEY,
            cron TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            job_name TEXT NOT NULL,
            payload BLOB,
            queue TEXT,
            misfire_policy INTEGER NOT NULL,
            max_misfires INTEGER NOT NULL,
            paused INTEGER NOT NULL,
            last_occurrence INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            version INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO counters (name, value) VALUES ('schedules', 0);

        CREATE TABLE file_metadata (
            path TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            last_write INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            metadata BLOB,
            extracted_at INTEGER NOT NULL,
            error_type TEXT,
            error_message TEXT,
            error_stack TEXT
        ) WITHOUT ROWID;
        """,

        // 2: the facts of issue 10 item 6: when attempts started, the recurring occurrence a job fires for, and the batch
        // a continuation follows. Nullable columns: existing rows simply have no such fact.
        """
        ALTER TABLE jobs ADD COLUMN first_started_at INTEGER;
        ALTER TABLE jobs ADD COLUMN last_started_at INTEGER;
        ALTER TABLE jobs ADD COLUMN occurrence_at INTEGER;
        ALTER TABLE jobs ADD COLUMN continuation_of BLOB;
        ALTER TABLE batches ADD COLUMN c_occurrence_at INTEGER;
        """,
    ];

    /// <summary>The schema version this assembly writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    public static void Migrate(SqliteSession session, string filePath, ILogger logger)
    {
        var version = ReadVersion(session);
        ThrowIfNewer(version, filePath);
        if (version == CurrentVersion)
        {
            return;
        }

        session.BeginImmediate();
        try
        {
            // Another process may have migrated between the read above and taking the write lock.
            version = ReadVersion(session);
            ThrowIfNewer(version, filePath);
            for (var next = version; next < CurrentVersion; next++)
            {
                using var command = session.Connection.CreateCommand();
#pragma warning disable CA2100 // Migration scripts are constants of this assembly.
                command.CommandText = Migrations[next];
#pragma warning restore CA2100
                command.ExecuteNonQuery();
                LogMigrated(logger, filePath, next + 1);
            }

            // PRAGMA does not take parameters; the value is an int of this assembly.
            using (var setVersion = session.Connection.CreateCommand())
            {
#pragma warning disable CA2100 // An int of this assembly.
                setVersion.CommandText = $"PRAGMA user_version = {CurrentVersion}";
#pragma warning restore CA2100
                setVersion.ExecuteNonQuery();
            }

            session.Execute("COMMIT");
        }
        catch
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(session.Connection.Handle) == 0)
            {
                session.Execute("ROLLBACK");
            }

            throw;
        }
    }

    private static int ReadVersion(SqliteSession session) =>
        Convert.ToInt32(session.Command("PRAGMA user_version").ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

    private static void ThrowIfNewer(int version, string filePath)
    {
        if (version > CurrentVersion)
        {
            throw new JobStoreException(
                $"The SQLite database '{filePath}' has schema version {version}, written by a newer TaskRunner.Sqlite; this version knows schema versions up to {CurrentVersion}. Upgrade the TaskRunner.Sqlite package or use another file.",
                null,
                isTransient: false);
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "SQLite database '{FilePath}' migrated to schema version {Version}")]
    private static partial void LogMigrated(ILogger logger, string filePath, int version);
}
