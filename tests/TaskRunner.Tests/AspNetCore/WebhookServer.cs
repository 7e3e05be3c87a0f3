using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskRunner.AspNetCore;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Events;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>A real ASP.NET Core app (<see cref="TestWebApp"/>) on an in-process <see cref="TestServer"/>: TaskRunner on a
/// real SQLite file, an <c>order.paid</c> subscription fanning out to two jobs, and the webhooks at <c>/hooks</c>. Requests
/// arrive from <see cref="TestWebApp.RemoteIp"/>; <c>X-Api-Key: test-api-key</c> satisfies the policy <c>webhooks</c>.</summary>
internal sealed class WebhookServer : TestWebApp
{
    private WebhookServer(WebApplication app, SqliteStoreFactory files, RecordingLoggerProvider logs)
        : base(app, files, logs)
    {
    }

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The webhooks' log messages at <paramref name="level"/>.</summary>
    public IEnumerable<string> WebhookMessages(LogLevel level) =>
        Logs.Entries.Where(e => e.Category == "TaskRunner.Webhooks" && e.Level == level).Select(e => e.Message);

    public static async Task<WebhookServer> StartAsync(Action<TaskRunnerWebhookOptions>? configure = null)
    {
        var builder = CreateBuilder("webhooks", out var files, out var logs);
        builder.WebHost.UseTestServer();
        builder.Services.AddOpenApi();
        builder.Services.AddTaskRunner(b => b
            .UseSqlite(files.Path)
            .AddJob<WorkHandler, Work>("send-receipt")
            .AddJob<WorkHandler, Work>("notify-warehouse")

            // Jobs wait in a queue nobody serves, so a test reads them as the publish stored them.
            .AddEventSubscription<OrderPaid>("order.paid", s => s
                .Enqueue("send-receipt", e => new Work("receipt-" + e.OrderId), new JobOptions { Queue = "held" })
                .Enqueue("notify-warehouse", e => new Work("ship-" + e.OrderId), new JobOptions { Queue = "held" })
                .When(e => e.Total > 0)));
        var server = new WebhookServer(builder.Build(), files, logs);
        server.UseRemoteIp();
        server.App.UseAuthentication();
        server.App.UseAuthorization();
        server.App.MapOpenApi();
        server.App.MapTaskRunnerWebhooks("/hooks", configure);
        await server.App.StartAsync();
        server.Client = server.App.GetTestClient();
        return server;
    }

    public override async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await base.DisposeAsync();
    }
}
