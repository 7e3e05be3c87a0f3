using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TaskRunner.Tests.Postgres;

/// <summary>
/// A PostgreSQL server of the test's own, from the binaries in <c>/usr/lib/postgresql/*/bin</c>: <c>initdb</c> into a temp
/// directory and <c>pg_ctl</c> on a free port of 127.0.0.1 (as the <c>postgres</c> user when running as root, as CI does,
/// since initdb refuses root). A test may stop, start and restart it (never the shared server other tests use). It is
/// stopped and deleted on dispose, and by a detached watchdog if the test process dies first.
/// </summary>
internal sealed class ThrowawayPostgresServer : IAsyncDisposable
{
    private readonly string _pgCtl;
    private readonly string _root;
    private readonly string _data;
    private readonly string _options;
    private readonly bool _asRoot = Environment.UserName == "root";

    private ThrowawayPostgresServer(string bin, string root, int port, bool durable)
    {
        _pgCtl = Path.Combine(bin, "pg_ctl");
        _root = root;
        _data = Path.Combine(root, "data");
        Port = port;

        // A durable server keeps the defaults a user gets (fsync, synchronous_commit, full page writes on), so a restart
        // test proves what was committed survives; the shared test server trades that for speed. Either way: enough
        // connections for test classes side by side, a unix socket only in its own directory.
        _options = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300"
            + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true";
    }

    /// <summary>The connection string of the server's <c>postgres</c> database, as the superuser (trust authentication).</summary>
    public string ConnectionString { get; }

    /// <summary>The TCP port, the same after a restart.</summary>
    public int Port { get; }

    /// <summary>The directory of PostgreSQL's newest installed server binaries, or null.</summary>
    public static string? FindBinaries() => Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault()
        : null;

    /// <summary>Creates and starts a server; <paramref name="durable"/> keeps fsync and synchronous commits on.</summary>
    public static async Task<ThrowawayPostgresServer> StartAsync(bool durable)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            $"No PostgreSQL server binaries were found in /usr/lib/postgresql/*/bin (a test starts its own server from them). {PostgresServer.HowToStart}");
        var root = Path.Combine(Path.GetTempPath(), "taskrunner-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var server = new ThrowawayPostgresServer(bin, root, FreePort(), durable);
        if (server._asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root], asPostgres: false);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", server._data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], server._asRoot);
        await server.StartAgainAsync();
        server.StopWhenThisProcessExits();
        return server;
    }

    /// <summary>Starts the stopped server and waits until it accepts connections.</summary>
    public Task StartAgainAsync() =>
        RunAsync(_pgCtl, ["-D", _data, "-w", "-t", "60", "-l", Path.Combine(_root, "server.log"), "-o", _options, "start"], _asRoot);

    /// <summary>Stops the server: <c>fast</c> aborts open transactions and disconnects every client; <c>immediate</c> is a
    /// crash (no checkpoint, WAL replay at the next start).</summary>
    public Task StopAsync(string mode = "fast") => RunAsync(_pgCtl, ["-D", _data, "-m", mode, "-w", "-t", "60", "stop"], _asRoot);

    /// <summary>Stops and starts the server in one <c>pg_ctl restart</c>.</summary>
    public Task RestartAsync(string mode = "fast") =>
        RunAsync(_pgCtl, ["-D", _data, "-m", mode, "-w", "-t", "60", "-l", Path.Combine(_root, "server.log"), "-o", _options, "restart"], _asRoot);

    /// <summary>Whether the server accepts connections now.</summary>
    public async Task<bool> IsUpAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync("immediate");
        }
        catch (InvalidOperationException)
        {
            // Already stopped (a test that failed mid-outage): only the directory is left to delete.
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Starts a detached watchdog that stops the server and deletes its directory once the test process is gone,
    /// however it ends (the test host may be killed right after the run, before any exit handler finishes).</summary>
    private void StopWhenThisProcessExits()
    {
        var stop = _asRoot ? $"runuser -u postgres -- '{_pgCtl}' -D '{_data}' -m immediate -w stop" : $"'{_pgCtl}' -D '{_data}' -m immediate -w stop";
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId}; do sleep 0.5; done; {stop}; rm -rf '{_root}'";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var part in new[] { "sh", "-c", script })
        {
            start.ArgumentList.Add(part);
        }

        using var watchdog = Process.Start(start) ?? throw new InvalidOperationException("Could not start the watchdog that stops the throwaway PostgreSQL server.");
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}. {PostgresServer.HowToStart}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}. {PostgresServer.HowToStart}");
        }
    }
}
