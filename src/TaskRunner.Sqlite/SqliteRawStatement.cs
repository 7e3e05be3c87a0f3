using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace TaskRunner.Sqlite;

/// <summary>
/// A statement prepared once on a session's connection and driven through SQLite's C API: bind by position, step,
/// reset. Used on the enqueue path, where Microsoft.Data.Sqlite's per-execution work (looking every parameter up by
/// name, creating a data reader) costs more than SQLite's own insert.
/// </summary>
internal sealed class SqliteRawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    // Whether the last step returned a row, so the execution is not finished yet.
    private bool _inRow;

    public SqliteRawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Bind(int position, long value) => Check(raw.sqlite3_bind_int64(_statement, position, value));

    public void Bind(int position, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, position, v) : raw.sqlite3_bind_null(_statement, position));

    public void Bind(int position, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, position) : raw.sqlite3_bind_text(_statement, position, value));

    public void Bind(int position, ReadOnlySpan<byte> value, bool isNull = false) =>
        Check(isNull ? raw.sqlite3_bind_null(_statement, position) : raw.sqlite3_bind_blob(_statement, position, value));

    /// <summary>Runs the statement to its first row.</summary>
    /// <returns>Whether it produced a row (read it with <see cref="ColumnInt64"/> before <see cref="Reset"/>).</returns>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        _inRow = rc == raw.SQLITE_ROW;
        if (_inRow)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        // sqlite3_reset returns the error of the failed step with its extended code.
        SqliteException.ThrowExceptionForRC(raw.sqlite3_reset(_statement), _db);
        return false;
    }

    public long ColumnInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    /// <summary>Ends the current execution (finishing a RETURNING statement) so the statement can run again.</summary>
    public void Reset()
    {
        // A step that returned a row leaves the statement mid-run; stepping it to the end applies any remaining
        // work, and reset makes it ready for the next bindings. Only then: stepping a statement that already returned
        // SQLITE_DONE would reset it automatically and run it a second time.
        while (_inRow && raw.sqlite3_step(_statement) == raw.SQLITE_ROW)
        {
        }

        _inRow = false;

        SqliteException.ThrowExceptionForRC(raw.sqlite3_reset(_statement), _db);
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, _db);
}
