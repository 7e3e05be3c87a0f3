namespace TaskRunner.Sqlite;

/// <summary>Views for people: the tables keep .NET ticks (speed); the views show what they mean.</summary>
internal static partial class SqliteSchema
{
    /// <summary>.NET ticks at the Unix epoch: the offset between the columns' ticks and SQLite's <c>unixepoch</c> seconds.</summary>
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    /// <summary><c>jobs_view</c>: every job with its times as ISO-8601 UTC text to the millisecond
    /// (<c>2026-03-01T09:30:00.000Z</c>, which also sorts and compares as text), its state by name, its timeout in seconds,
    /// its batch ids in the 32-hex-digit form <see cref="BatchId.ToString"/> prints, and payload and result as JSON text.
    /// Integer arithmetic throughout, so no time is off by a floating-point rounding. A property, not a field: the
    /// migrations array (in another file of this partial class) reads it while the type initializes, in no set order.</summary>
    private static string JobsView => $"""
        CREATE VIEW jobs_view AS SELECT
            id, name, queue,
            CASE state WHEN 0 THEN 'Scheduled' WHEN 1 THEN 'Pending' WHEN 2 THEN 'Running' WHEN 3 THEN 'Succeeded'
                WHEN 4 THEN 'Failed' WHEN 5 THEN 'DeadLettered' WHEN 6 THEN 'Cancelled' ELSE CAST(state AS TEXT) END AS state,
            priority,
            {Iso("run_at")} AS run_at,
            {Iso("created_at")} AS created_at,
            {Iso("first_started_at")} AS first_started_at,
            {Iso("last_started_at")} AS last_started_at,
            {Iso("finished_at")} AS finished_at,
            {Iso("lease_expires_at")} AS lease_expires_at,
            {Iso("occurrence_at")} AS occurrence_at,
            attempts, max_attempts,
            timeout / 10000000.0 AS timeout_seconds,
            unique_key, idempotency_key, concurrency_key, concurrency_limit, tags,
            {GuidText("batch_id")} AS batch_id,
            {GuidText("continuation_of")} AS continuation_of,
            owner, lease_token, cancel_requested, progress_percent, progress_message,
            CAST(payload AS TEXT) AS payload,
            CAST(result AS TEXT) AS result,
            error_type, error_message, error_stack, trace_parent
        FROM jobs;
        """;

    /// <summary>The ISO-8601 UTC text of a ticks column (NULL stays NULL): whole seconds through <c>strftime</c>, then the
    /// milliseconds from the remaining ticks.</summary>
    private static string Iso(string column) =>
        $"CASE WHEN {column} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', ({column} - {UnixEpochTicks}) / 10000000, 'unixepoch') " +
        $"|| '.' || printf('%03d', (({column} - {UnixEpochTicks}) % 10000000) / 10000) || 'Z' END";

    /// <summary>The 32-hex-digit text of a GUID column, as <see cref="BatchId.ToString"/> prints it: the column holds
    /// <see cref="Guid.ToByteArray()"/>, whose first three fields are little-endian, so their bytes are swapped back.</summary>
    private static string GuidText(string column) =>
        $"CASE WHEN {column} IS NULL THEN NULL ELSE lower(hex(substr({column}, 4, 1) || substr({column}, 3, 1) || substr({column}, 2, 1) || substr({column}, 1, 1) || " +
        $"substr({column}, 6, 1) || substr({column}, 5, 1) || substr({column}, 8, 1) || substr({column}, 7, 1) || substr({column}, 9, 8))) END";
}
