using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TaskRunner.Tests.Postgres;

/// <summary>
/// The PostgreSQL server the tests use, found once per test run: the connection string in <c>TASKRUNNER_POSTGRES</c> if
/// set (what CI does), else a throwaway server started here from the binaries in <c>/usr/lib/postgresql/*/bin</c>
/// (initdb + pg_ctl in a temp directory, on a free port of 127.0.0.1, as the <c>postgres</c> user when running as root,
/// since initdb refuses root), stopped when the test process exits. When neither is possible the tests fail with
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

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException($"{Variable} is not set and no PostgreSQL server binaries were found in /usr/lib/postgresql/*/bin. {HowToStart}");
        }

        var root = Path.Combine(Path.GetTempPath(), "taskrunner-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root], asPostgres: false);
        }

        var data = Path.Combine(root, "data");
        var port = FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], asRoot);

        // A throwaway server for tests: no fsync (nothing here must survive a power cut), enough connections for the
        // test classes running side by side, a unix socket only in its own directory.
        await RunAsync(Path.Combine(bin, "pg_ctl"),
        [
            "-D", data, "-w", "-t", "60", "-l", Path.Combine(root, "server.log"),
            "-o", $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start",
        ], asRoot);
        StopWhenThisProcessExits(Path.Combine(bin, "pg_ctl"), data, root, asRoot);

        var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true";
        await ProbeAsync(connectionString, "the throwaway PostgreSQL server started but cannot be reached");
        return connectionString;
    }

    /// <summary>Starts a detached watchdog that stops the server and deletes its directory once the test process is gone,
    /// however it ends (the test host may be killed right after the run, before any exit handler finishes).</summary>
    private static void StopWhenThisProcessExits(string pgCtl, string data, string root, bool asRoot)
    {
        var stop = asRoot ? $"runuser -u postgres -- '{pgCtl}' -D '{data}' -m immediate -w stop" : $"'{pgCtl}' -D '{data}' -m immediate -w stop";
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId}; do sleep 0.5; done; {stop}; rm -rf '{root}'";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var part in new[] { "sh", "-c", script })
        {
            start.ArgumentList.Add(part);
        }

        using var watchdog = Process.Start(start) ?? throw new InvalidOperationException("Could not start the watchdog that stops the throwaway PostgreSQL server.");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asPostgres)
        {
            foreach (var part in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(part);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}. {HowToStart}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}. {HowToStart}");
        }
    }
}
