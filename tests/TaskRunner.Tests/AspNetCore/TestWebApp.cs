using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>What the web test servers (<see cref="ApiServer"/>, <see cref="WebhookServer"/>, the dashboard's) share: a
/// slim ASP.NET Core app over a real SQLite file (made for the app and deleted with it), its logs recorded, a
/// <see cref="Probe"/>, and an authentication scheme under which a request carrying <c>X-Api-Key: test-api-key</c> is
/// the user <see cref="UserName"/>, which satisfies the authorization policy the server names.</summary>
internal abstract class TestWebApp : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";

    public const string UserName = "operator";

    private readonly SqliteStoreFactory _files;

    protected TestWebApp(WebApplication app, SqliteStoreFactory files, RecordingLoggerProvider logs)
    {
        App = app;
        _files = files;
        Logs = logs;
    }

    /// <summary>Requests arrive from this address (loopback unless a test changes it) on servers that call
    /// <see cref="UseRemoteIp"/>, as Kestrel would report the caller's address.</summary>
    public IPAddress RemoteIp { get; set; } = IPAddress.Loopback;

    /// <summary>Everything the app logged.</summary>
    public RecordingLoggerProvider Logs { get; }

    public IServiceProvider Services => App.Services;

    public IJobStore Store => Services.GetRequiredService<IJobStore>();

    public IJobClient Jobs => Services.GetRequiredService<IJobClient>();

    public Probe Probe => Services.GetRequiredService<Probe>();

    protected WebApplication App { get; }

    /// <summary>A builder with the shared parts registered; the caller adds TaskRunner on <paramref name="files"/>' path.</summary>
    protected static WebApplicationBuilder CreateBuilder(string policy, out SqliteStoreFactory files, out RecordingLoggerProvider logs)
    {
        files = new SqliteStoreFactory();
        logs = new RecordingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddAuthentication(ApiKeyHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy(policy, p => p.RequireAuthenticatedUser()));
        return builder;
    }

    /// <summary>Makes every request arrive from <see cref="RemoteIp"/>, then authenticates and authorizes it.</summary>
    protected void UseRemoteIp()
    {
        App.Use((context, next) =>
        {
            context.Connection.RemoteIpAddress = RemoteIp;
            return next(context);
        });
    }

    public virtual async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await _files.DisposeAsync();
    }

    /// <summary>Authenticates a request that carries <c>X-Api-Key: test-api-key</c> as <see cref="UserName"/>; others are
    /// anonymous.</summary>
    private sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "ApiKey";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers["X-Api-Key"] == ApiKey
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, UserName)], SchemeName)), SchemeName))
                : AuthenticateResult.NoResult());
    }
}
