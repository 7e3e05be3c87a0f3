using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>One open connection and its prepared commands. Used by one caller at a time.</summary>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteRawStatement> _statements = new(StringComparer.Ordinal);

    public SqliteSession(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>Returns the cached command for <paramref name="sql"/>, creating it with one parameter per name on first use,
    /// so SQLite keeps the compiled statement and callers only set values by position.</summary>
    public SqliteCommand Command(string sql, params ReadOnlySpan<string> parameterNames)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            return command;
        }

        command = Connection.CreateCommand();
#pragma warning disable CA2100 // Every SQL text here is a constant of this assembly; values are always bound as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _commands.Add(sql, command);
        return command;
    }

    /// <summary>Returns the cached raw statement for <paramref name="sql"/>, preparing it on first use.</summary>
    public SqliteRawStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new SqliteRawStatement(Connection, sql);
            _statements.Add(sql, statement);
        }

        return statement;
    }

    public int Execute(string sql) => Command(sql).ExecuteNonQuery();

    /// <summary>Starts a write transaction, taking the file's write lock now. Runs through SQLite directly so only SQLite's
    /// busy handler waits for another writer (Microsoft.Data.Sqlite would add its own wait loop of whole seconds).</summary>
    /// <exception cref="SqliteException">The lock was not granted (SQLITE_BUSY after the busy timeout).</exception>
    public void BeginImmediate()
    {
        var rc = SQLitePCL.raw.sqlite3_exec(Connection.Handle, "BEGIN IMMEDIATE");
        SqliteException.ThrowExceptionForRC(rc, Connection.Handle);
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        Connection.Dispose();
    }
}
