using System.Net.Sockets;
using Npgsql;

namespace TaskRunner.Tests.Postgres;

/// <summary>
/// The PostgreSQL server the tests use, found once per test run: the connection string in <c>TASKRUNNER_POSTGRES</c> if
/// set (what CI does), else a throwaway server started here from the binaries in <c>/usr/lib/postgresql/*/bin</c>
/// (<see cref="ThrowawayPostgresServer"/>), stopped when the test process exits. When neither is possible the tests fail with
/// <see cref="HowToStart"/>; they never skip.
/// </summary>
internal static class PostgresServer
{
    public const string Variable = "TASKRUNNER_POSTGRES";

    public const string HowToStart =
        "The PostgreSQL tests need a server. Either set " + Variable + " to an Npgsql connection string of a database the tests may " +
        "create schemas in, e.g. (Debian) `apt-get install -y postgresql && pg_ctlcluster 15 main start && " +
        "runuser -u postgres -- psql -c \"CREATE ROLE taskrunner LOGIN SUPERUSER PASSWORD 'taskrunner'\" -c \"CREATE DATABASE taskrunner_tests OWNER taskrunner\"` " +
        "then `export " + Variable + "='Host=127.0.0.1;Username=taskrunner;Password=taskrunner;Database=taskrunner_tests'`; " +
        "or install PostgreSQL's server binaries (apt-get install -y postgresql) so the tests start a throwaway server from /usr/lib/postgresql/*/bin themselves. " +
        "`bash .ci/run` does the first for you.";

    private static readonly Lazy<Task<string>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The connection string of the server's admin database.</summary>
    public static Task<string> ConnectionStringAsync() => Server.Value;

    private static async Task<string> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await ProbeAsync(configured, $"{Variable} is set, but its server cannot be reached");
            return configured;
        }

        if (ThrowawayPostgresServer.FindBinaries() is null)
        {
            throw new InvalidOperationException($"{Variable} is not set and no PostgreSQL server binaries were found in /usr/lib/postgresql/*/bin. {HowToStart}");
        }

        // Lives as long as the test process (its watchdog stops and deletes it then); never disposed here.
        var server = await ThrowawayPostgresServer.StartAsync(durable: false);
        await ProbeAsync(server.ConnectionString, "the throwaway PostgreSQL server started but cannot be reached");
        return server.ConnectionString;
    }

    private static async Task ProbeAsync(string connectionString, string problem)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or ArgumentException or SocketException)
        {
            throw new InvalidOperationException($"{problem}: {exception.Message}. {HowToStart}", exception);
        }
    }
}
