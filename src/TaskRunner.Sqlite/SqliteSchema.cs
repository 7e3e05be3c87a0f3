using Microsoft.Extensions.Logging;

namespace TaskRunner.Sqlite;

/// <summary>The versioned schema. <c>PRAGMA user_version</c> holds the number of migrations applied; each migration runs
/// once, in a write transaction that re-reads the version, so several processes starting together apply it once.</summary>
internal static partial class SqliteSchema
{
    /// <summary>Times are UTC ticks (INTEGER); states are <see cref="JobState"/> numbers: 0 Scheduled, 1 Pending,
    /// 2 Running, 3 Succeeded, 4 Failed, 5 DeadLettered, 6 Cancelled. Partial indexes keep each hot query's index small:
    /// the claim index covers only pending jobs, so claim cost does not grow with scheduled or finished ones.</summary>
    internal static readonly string[] Migrations =
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

        // 3: concurrency limits of N (issue 10 item 5). A pending job with a concurrency key is claimable only while it
        // holds one of its key's slots (key_wait = 0); the others wait (key_wait = 1) outside the claim index, so a claim
        // never steps over jobs held back by a busy key, however many there are. Slots are kept by triggers, in the same
        // statement as the state change, so every writer (any process, any version of this code) keeps them right:
        // a keyed job becoming pending from anything but running takes a slot if fewer than its limit of the key's jobs
        // hold one (pending with a slot, or running), else it waits; a slot holder leaving pending/running gives its slot
        // to the first waiting job of the key in claim order. Counting holders reads jobs_key_holders: at most the limit.
        """
        ALTER TABLE jobs ADD COLUMN concurrency_limit INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE jobs ADD COLUMN key_wait INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE batches ADD COLUMN c_concurrency_limit INTEGER;

        UPDATE jobs SET key_wait = 1 WHERE state = 1 AND concurrency_key IS NOT NULL AND (
            EXISTS (SELECT 1 FROM jobs r WHERE r.concurrency_key = jobs.concurrency_key AND r.state = 2) OR
            EXISTS (SELECT 1 FROM jobs p WHERE p.concurrency_key = jobs.concurrency_key AND p.state = 1 AND
                (p.priority > jobs.priority OR (p.priority = jobs.priority AND (p.run_at < jobs.run_at OR (p.run_at = jobs.run_at AND p.id < jobs.id))))));

        DROP INDEX jobs_claim;
        CREATE INDEX jobs_claim ON jobs (queue, priority DESC, run_at, id) WHERE state = 1 AND key_wait = 0;
        DROP INDEX jobs_concurrency_key;
        CREATE INDEX jobs_key_holders ON jobs (concurrency_key) WHERE concurrency_key IS NOT NULL AND key_wait = 0 AND state IN (1, 2);
        CREATE INDEX jobs_key_waiting ON jobs (concurrency_key, priority DESC, run_at, id) WHERE concurrency_key IS NOT NULL AND key_wait = 1 AND state = 1;
        CREATE INDEX jobs_queue_running ON jobs (queue) WHERE state = 2;

        CREATE TRIGGER jobs_key_take_on_insert AFTER INSERT ON jobs
        WHEN new.concurrency_key IS NOT NULL AND new.state = 1
        BEGIN
            UPDATE jobs SET key_wait = 1 WHERE id = new.id AND (SELECT count(*) FROM jobs h
                WHERE h.concurrency_key = new.concurrency_key AND h.key_wait = 0 AND h.state IN (1, 2) AND h.id <> new.id) >= new.concurrency_limit;
        END;

        CREATE TRIGGER jobs_key_take AFTER UPDATE OF state ON jobs
        WHEN new.concurrency_key IS NOT NULL AND new.state = 1 AND old.state NOT IN (1, 2)
        BEGIN
            UPDATE jobs SET key_wait = ((SELECT count(*) FROM jobs h
                WHERE h.concurrency_key = new.concurrency_key AND h.key_wait = 0 AND h.state IN (1, 2) AND h.id <> new.id) >= new.concurrency_limit)
            WHERE id = new.id;
        END;

        CREATE TRIGGER jobs_key_give AFTER UPDATE OF state ON jobs
        WHEN old.concurrency_key IS NOT NULL AND old.key_wait = 0 AND old.state IN (1, 2) AND new.state NOT IN (1, 2)
        BEGIN
            UPDATE jobs SET key_wait = 0 WHERE id = (SELECT w.id FROM jobs w
                WHERE w.concurrency_key = old.concurrency_key AND w.key_wait = 1 AND w.state = 1 ORDER BY w.priority DESC, w.run_at, w.id LIMIT 1)
            AND (SELECT count(*) FROM jobs h WHERE h.concurrency_key = old.concurrency_key AND h.key_wait = 0 AND h.state IN (1, 2)) < concurrency_limit;
        END;
        """,

        // 4: readable times (issue 11 item 3). The columns stay INTEGER ticks (compact, compared and indexed as numbers on
        // every hot statement); jobs_view shows them as ISO-8601 UTC text, states by name, ids of batches as hex and
        // payloads as JSON text, for the sqlite3 shell (SqliteSchema.Views.cs).
        JobsView,
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
