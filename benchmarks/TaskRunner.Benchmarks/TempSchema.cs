using Npgsql;

namespace TaskRunner.Benchmarks;

/// <summary>A fresh schema on the PostgreSQL server named by <c>TASKRUNNER_POSTGRES</c>, dropped on dispose.</summary>
internal sealed class TempSchema : IDisposable
{
    public const string Variable = "TASKRUNNER_POSTGRES";

    public TempSchema()
    {
        ConnectionString = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The postgres backend needs a server: set {Variable} to an Npgsql connection string (bash .ci/run shows how one is made).");
    }

    public string ConnectionString { get; }

    public string Name { get; } = "bench_" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose()
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
#pragma warning disable CA2100 // A generated identifier of this class.
        using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE", connection);
#pragma warning restore CA2100
        drop.ExecuteNonQuery();
    }
}
