namespace TaskRunner.Postgres;

/// <summary>The versioned schema. <c>{s}</c> stands for the quoted schema name. A table <c>schema_version</c> holds the
/// number of migrations applied; every node runs <see cref="PostgresDatabase"/>'s migration under a transaction-scoped
/// advisory lock, so several nodes starting at once apply each migration once.</summary>
internal static partial class PostgresSchema
{
    /// <summary>Times are UTC ticks (<c>bigint</c>: exact to 100 ns, like every other backend); states are
    /// <see cref="JobState"/> numbers: 0 Scheduled, 1 Pending, 2 Running, 3 Succeeded, 4 Failed, 5 DeadLettered,
    /// 6 Cancelled. Partial indexes keep each hot query's index small: the claim index holds only pending jobs, the lease
    /// index only running ones. A pending job with a concurrency key either holds one of its key's slots or waits
    /// (<c>key_wait</c>) outside the claim index; <c>concurrency_keys</c> holds one row per key, locked by whoever gives
    /// or takes a slot (migration 4, <see cref="KeyWait"/>). The job table keeps 20 % of each page free (fill factor 80) so lease and state updates
    /// can often stay on their page, and autovacuum visits it after 1 % of its rows changed instead of the default 20 %,
    /// because a queue table churns: every job is inserted, updated two or three times and later deleted.</summary>
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE {s}.jobs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            queue text NOT NULL,
            payload bytea,
            state smallint NOT NULL,
            priority integer NOT NULL DEFAULT 0,
            run_at bigint NOT NULL,
            created_at bigint NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            max_attempts integer NOT NULL,
            timeout bigint,
            unique_key text,
            idempotency_key text,
            concurrency_key text,
            tags text,
            batch_id uuid,
            owner text,
            lease_token bigint NOT NULL DEFAULT 0,
            lease_expires_at bigint,
            cancel_requested boolean NOT NULL DEFAULT false,
            progress_percent integer,
            progress_message text,
            result bytea,
            error_type text,
            error_message text,
            error_stack text,
            finished_at bigint,
            trace_parent text
        ) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02);
        CREATE INDEX jobs_claim ON {s}.jobs (queue, priority DESC, run_at, id) WHERE state = 1;
        CREATE INDEX jobs_due ON {s}.jobs (run_at) WHERE state IN (0, 4);
        CREATE INDEX jobs_lease ON {s}.jobs (lease_expires_at) WHERE state = 2;
        CREATE INDEX jobs_finished ON {s}.jobs (state, finished_at) WHERE state IN (3, 5, 6);
        CREATE UNIQUE INDEX jobs_unique_key ON {s}.jobs (unique_key) WHERE unique_key IS NOT NULL AND state IN (0, 1, 2, 4);
        CREATE UNIQUE INDEX jobs_idempotency_key ON {s}.jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX jobs_concurrency_key ON {s}.jobs (concurrency_key, queue, priority DESC, run_at, id) WHERE concurrency_key IS NOT NULL AND state = 1;
        CREATE INDEX jobs_batch ON {s}.jobs (batch_id, state) WHERE batch_id IS NOT NULL;

        CREATE TABLE {s}.concurrency_keys (
            key text PRIMARY KEY,
            running integer NOT NULL DEFAULT 0
        );

        CREATE TABLE {s}.batches (
            id uuid PRIMARY KEY,
            created_at bigint NOT NULL,
            has_continuation boolean NOT NULL,
            continuation_id bigint,
            c_name text,
            c_queue text,
            c_payload bytea,
            c_priority integer,
            c_run_at bigint,
            c_max_attempts integer,
            c_timeout bigint,
            c_unique_key text,
            c_idempotency_key text,
            c_concurrency_key text,
            c_tags text,
            c_batch_id uuid,
            c_trace_parent text
        );

        CREATE TABLE {s}.locks (
            name text PRIMARY KEY,
            owner text,
            token bigint NOT NULL,
            expires_at bigint NOT NULL
        );

        CREATE TABLE {s}.schedules (
            name text PRIMARY KEY,
            cron text NOT NULL,
            time_zone text NOT NULL,
            job_name text NOT NULL,
            payload bytea,
            queue text,
            misfire_policy integer NOT NULL,
            max_misfires integer NOT NULL,
            paused boolean NOT NULL,
            last_occurrence bigint,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            version bigint NOT NULL
        );

        CREATE TABLE {s}.counters (
            name text PRIMARY KEY,
            value bigint NOT NULL
        );
        INSERT INTO {s}.counters (name, value) VALUES ('schedules', 0);

        CREATE TABLE {s}.file_metadata (
            path text COLLATE "C" PRIMARY KEY,
            size bigint NOT NULL,
            last_write bigint NOT NULL,
            content_hash text NOT NULL,
            metadata bytea,
            extracted_at bigint NOT NULL,
            error_type text,
            error_message text,
            error_stack text
        );
        """,

        // 2: contract v2 (issue 10 items 5 and 6). Facts: when attempts started, the recurring occurrence a job fires for,
        // the batch a continuation follows; nullable, so existing rows simply have no such fact. Limits of N: each job
        // carries its key's limit (existing rows keep the old limit of 1). A claim with a queue limit counts the queue's
        // running jobs through jobs_lease (running jobs only, as many as the fleet's workers): no index of its own.
        """
        ALTER TABLE {s}.jobs ADD COLUMN first_started_at bigint, ADD COLUMN last_started_at bigint, ADD COLUMN occurrence_at bigint,
            ADD COLUMN continuation_of uuid, ADD COLUMN concurrency_limit integer NOT NULL DEFAULT 1;
        ALTER TABLE {s}.batches ADD COLUMN c_occurrence_at bigint, ADD COLUMN c_concurrency_limit integer;
        """,

        // 3: the jobs as a person reads them in psql: times as timestamptz, exact to the microsecond in integer arithmetic
        // (ticks are 100 ns since 0001-01-01 UTC; 621355968000000000 of them before 1970), the timeout as an interval, the
        // state by name. Read-only, for people and tools; the backend itself never reads it.
        """
        CREATE VIEW {s}.jobs_readable AS SELECT id, name, queue,
            CASE state WHEN 0 THEN 'Scheduled' WHEN 1 THEN 'Pending' WHEN 2 THEN 'Running' WHEN 3 THEN 'Succeeded' WHEN 4 THEN 'Failed'
                WHEN 5 THEN 'DeadLettered' WHEN 6 THEN 'Cancelled' ELSE state::text END AS state,
            priority,
            to_timestamp((run_at - 621355968000000000) / 10000000) + (run_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS run_at,
            to_timestamp((created_at - 621355968000000000) / 10000000) + (created_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS created_at,
            attempts, max_attempts,
            timeout / 10 * interval '1 microsecond' AS timeout,
            unique_key, idempotency_key, concurrency_key, concurrency_limit, tags, batch_id, continuation_of, owner, lease_token,
            to_timestamp((lease_expires_at - 621355968000000000) / 10000000) + (lease_expires_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS lease_expires_at,
            cancel_requested, progress_percent, progress_message, error_type, error_message,
            to_timestamp((first_started_at - 621355968000000000) / 10000000) + (first_started_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS first_started_at,
            to_timestamp((last_started_at - 621355968000000000) / 10000000) + (last_started_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS last_started_at,
            to_timestamp((finished_at - 621355968000000000) / 10000000) + (finished_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS finished_at,
            to_timestamp((occurrence_at - 621355968000000000) / 10000000) + (occurrence_at - 621355968000000000) % 10000000 / 10 * interval '1 microsecond' AS occurrence_at,
            trace_parent
        FROM {s}.jobs;
        """,

        // 4: jobs behind a busy concurrency key leave the claim index (issue 10's flat claim, issue 13 item 2); see
        // PostgresSchema.KeyWait.cs.
        KeyWait,
    ];

    /// <summary>The schema version this assembly writes.</summary>
    public static int CurrentVersion => Migrations.Length;
}
