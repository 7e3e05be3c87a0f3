using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskRunner.AspNetCore;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Events;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>A real ASP.NET Core app on an in-process <see cref="TestServer"/>: TaskRunner on a real SQLite file, an
/// <c>order.paid</c> subscription fanning out to two jobs, and the webhooks at <c>/hooks</c>. Requests arrive from
/// <see cref="RemoteIp"/> (loopback unless a test changes it), as Kestrel would report the caller's address.</summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";

    private readonly SqliteStoreFactory _files;
    private readonly WebApplication _app;

    private WebhookServer(WebApplication app, SqliteStoreFactory files)
    {
        _app = app;
        _files = files;
    }

    public IPAddress RemoteIp { get; set; } = IPAddress.Loopback;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Everything the app logged.</summary>
    public RecordingLoggerProvider Logs { get; private init; } = null!;

    /// <summary>The webhooks' log messages at <paramref name="level"/>.</summary>
    public IEnumerable<string> WebhookMessages(LogLevel level) =>
        Logs.Entries.Where(e => e.Category == "TaskRunner.Webhooks" && e.Level == level).Select(e => e.Message);

    public IJobStore Store => _app.Services.GetRequiredService<IJobStore>();

    public static async Task<WebhookServer> StartAsync(Action<TaskRunnerWebhookOptions>? configure = null)
    {
        var files = new SqliteStoreFactory();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var logs = new RecordingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddOpenApi();
        builder.Services.AddAuthentication(ApiKeyHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("webhooks", p => p.RequireAuthenticatedUser()));
        builder.Services.AddTaskRunner(b => b
            .UseSqlite(files.Path)
            .AddJob<WorkHandler, Work>("send-receipt")
            .AddJob<WorkHandler, Work>("notify-warehouse")

            // Jobs wait in a queue nobody serves, so a test reads them as the publish stored them.
            .AddEventSubscription<OrderPaid>("order.paid", s => s
                .Enqueue("send-receipt", e => new Work("receipt-" + e.OrderId), new JobOptions { Queue = "held" })
                .Enqueue("notify-warehouse", e => new Work("ship-" + e.OrderId), new JobOptions { Queue = "held" })
                .When(e => e.Total > 0)));
        var app = builder.Build();
        var server = new WebhookServer(app, files) { Logs = logs };
        app.Use((context, next) =>
        {
            context.Connection.RemoteIpAddress = server.RemoteIp;
            return next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapTaskRunnerWebhooks("/hooks", configure);
        await app.StartAsync();
        server.Client = app.GetTestClient();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await _files.DisposeAsync(); // only the path was used: deletes the test's directory
    }

    /// <summary>Authenticates a request that carries <c>X-Api-Key: test-api-key</c>; others are anonymous.</summary>
    private sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "ApiKey";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers["X-Api-Key"] == ApiKey
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "caller")], SchemeName)), SchemeName))
                : AuthenticateResult.NoResult());
    }
}
