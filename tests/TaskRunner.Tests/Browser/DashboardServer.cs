using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.AspNetCore;
using TaskRunner.Sqlite;
using TaskRunner.Tests.AspNetCore;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Browser;

/// <summary>A real ASP.NET Core app (<see cref="TestWebApp"/>) on Kestrel (127.0.0.1, port 0, and optionally a non-loopback address of this machine)
/// with the dashboard at <c>/taskrunner</c>: TaskRunner on a real SQLite file with a worker serving <c>default</c> (jobs
/// in <c>held</c> wait: nobody serves it) and the recurring job <c>nightly-report</c>, on a fake clock standing at
/// <see cref="ApiServer.T0"/> (a local enqueue wakes the worker at once, so jobs run without the clock moving). A request
/// carrying <c>X-Api-Key: test-api-key</c> satisfies the policy <c>operators</c>.</summary>
internal sealed class DashboardServer : TestWebApp
{
    public const string Prefix = "/taskrunner";

    private DashboardServer(WebApplication app, SqliteStoreFactory files, RecordingLoggerProvider logs, FakeTimeProvider time)
        : base(app, files, logs) => Time = time;

    /// <summary>The dashboard's page on the loopback address, such as <c>http://127.0.0.1:40123/taskrunner/</c>.</summary>
    public Uri LocalUrl { get; private set; } = null!;

    /// <summary>The dashboard's page on the non-loopback address, when the server listens on one.</summary>
    public Uri? RemoteUrl { get; private set; }

    public FakeTimeProvider Time { get; }

    /// <param name="configure">The dashboard's options.</param>
    /// <param name="remoteAddress">A non-loopback address of this machine to listen on too (see <see cref="NonLoopbackAddress"/>).</param>
    public static async Task<DashboardServer> StartAsync(Action<TaskRunnerDashboardOptions>? configure = null, IPAddress? remoteAddress = null)
    {
        var builder = CreateBuilder("operators", out var files, out var logs);
        var time = new FakeTimeProvider(ApiServer.T0);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            if (remoteAddress is not null)
            {
                k.Listen(remoteAddress, 0);
            }
        });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddTaskRunnerWorker(b => b
            .UseSqlite(files.Path)
            .AddJob<WorkHandler, Work>("work")
            .AddJob<StepsHandler, Steps>("steps")
            .AddQueue("default")
            .AddRecurring("nightly-report", "0 3 * * *", new Work("nightly"), o => o.JobName = "work"));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapTaskRunnerDashboard(Prefix, configure);
        await app.StartAsync();
        var server = new DashboardServer(app, files, logs, time);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        server.LocalUrl = new Uri(addresses.Single(a => a.Host == "127.0.0.1"), Prefix + "/");
        if (remoteAddress is not null)
        {
            server.RemoteUrl = new Uri(addresses.Single(a => a.Host == remoteAddress.ToString()), Prefix + "/");
        }

        return server;
    }

    /// <summary>An IPv4 address of this machine that is not loopback (a request to it arrives from a non-loopback address).</summary>
    public static IPAddress NonLoopbackAddress()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return address ?? throw new InvalidOperationException(
            "This machine has no IPv4 address other than loopback, so a request from a non-local address cannot be made: "
            + "give it a network interface (a container's eth0 is enough).");
    }

    /// <summary>The dashboard URL of a hash route, such as <c>#/jobs/3</c>.</summary>
    public string Page(string route = "") => LocalUrl + route;
}

/// <summary>A job whose progress the test moves: it reports 10 %, waits for the test's release of
/// <c>{Key}/1</c>, reports 60 %, waits for <c>{Key}/2</c>, then stores a result.</summary>
internal sealed record Steps(string Key);

/// <summary>Runs <see cref="Steps"/>; opens <see cref="Probe.StartedGate"/> of the key after its first report.</summary>
internal sealed class StepsHandler(Probe probe) : IJobHandler<Steps>
{
    public async ValueTask ExecuteAsync(Steps payload, JobContext context)
    {
        await context.ReportProgressAsync(10, "step 1 of 2").ConfigureAwait(false);
        probe.StartedGate(payload.Key).Open();
        await probe.ReleaseGate(payload.Key + "/1").Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        await context.ReportProgressAsync(60, "step 2 of 2").ConfigureAwait(false);
        await probe.ReleaseGate(payload.Key + "/2").Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        context.SetResult(new { steps = 2 });
    }
}
