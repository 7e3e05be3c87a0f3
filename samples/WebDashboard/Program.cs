// An ASP.NET Core app that shows TaskRunner on the web: the dashboard, jobs, recurring jobs, an event subscription fed by a
// signed webhook, the JSON API (and its OpenAPI document), and a worker in the same process, on one embedded SQLite file. It
// seeds some work at start so every page has something to show.
//   dotnet run --project samples/WebDashboard                      (http://localhost:5000)
//   dotnet run --project samples/WebDashboard -- --urls http://127.0.0.1:5080 --db /tmp/dashboard.db
// Configuration (appsettings.json, environment, command line): db (the SQLite file), Webhooks:Secret (the HMAC secret).
// Everything here is local-only: the dashboard, the API and the webhooks answer 403 to other machines until a policy is set.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using TaskRunner;
using TaskRunner.Sqlite;
using WebDashboard;

// appsettings.json is read from beside the program, wherever it is started from (dotnet run, a test, a service manager).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var database = builder.Configuration["db"] ?? Path.Combine(Path.GetTempPath(), "taskrunner-webdashboard.db");
var secret = builder.Configuration["Webhooks:Secret"]
    ?? throw new InvalidOperationException("Webhooks:Secret is not set: name the webhook's HMAC secret in appsettings.json, the environment (Webhooks__Secret) or --Webhooks:Secret.");

// The worker runs in this process: the store, the jobs, the queues (from the "TaskRunner" section), two recurring jobs and
// the event subscription the webhook publishes to.
builder.Services.AddTaskRunnerWorker(builder.Configuration.GetSection("TaskRunner"), b => b
    .UseSqlite(database)
    .AddJob<ReportHandler, Report>(Report.JobName, o => o.Queue = "reports")
    .AddJob<ResizeHandler, Resize>(Resize.JobName)
    .AddJob<SyncHandler, Sync>(Sync.JobName, o => o.MaxAttempts = 2)
    .AddJob<ReceiptHandler, Receipt>(Receipt.JobName)
    .AddRecurring("hourly-sync", "0 * * * *", new Sync("all", FailureRate: 0.3))
    .AddRecurring("nightly-report", "30 2 * * *", new Report("nightly", Steps: 5), o => o.TimeZoneId = "Europe/Berlin")
    .AddEventSubscription<OrderPaid>(OrderPaid.EventName, s => s
        .Enqueue(Receipt.JobName, e => new Receipt(e.OrderId, e.Total))
        .Enqueue(Sync.JobName, e => new Sync("order-" + e.OrderId, FailureRate: 0.3)))
    .AddObserver<ConsoleOutcomes>());
builder.Services.AddOpenApi();

var app = builder.Build();

// The dashboard at /taskrunner, with the JSON API it reads at /taskrunner/api (for scripts and curl too).
app.MapTaskRunnerDashboard("/taskrunner");
app.MapTaskRunnerWebhooks("/webhooks", o => o.SigningSecret = secret);
app.MapOpenApi();
app.MapGet("/", () => Results.Redirect("/taskrunner/"));

await app.StartAsync();
await Seed.RunAsync(app.Services);

// One line a launcher or a test can wait for: the address actually bound (with --urls http://127.0.0.1:0, a free port).
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"ready {address}");
Console.WriteLine($"Dashboard: {address}/taskrunner/");
Console.WriteLine($"API:     {address}/taskrunner/api/counts   OpenAPI: {address}/openapi/v1.json");
Console.WriteLine($"Enqueue: curl -s -X POST {address}/taskrunner/api/jobs -H 'Content-Type: application/json' -H 'X-TaskRunner-Action: 1' "
    + $"-d '{{\"name\":\"{Resize.JobName}\",\"payload\":{{\"file\":\"cat.png\",\"width\":640}}}}'");

// A signed webhook call: the signature is the hex HMAC-SHA256 of this exact body under the configured secret, so the line
// works as printed (the secret itself is not shown). A new event id each start; the same id again enqueues nothing new.
var body = $$"""{"orderId":"o-{{Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture)}}","total":42.5}""";
var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
Console.WriteLine($"Webhook: curl -s -X POST {address}/webhooks/{OrderPaid.EventName} -H 'Content-Type: application/json' "
    + $"-H 'X-Event-Id: evt-{Guid.NewGuid():N}' -H 'X-Hub-Signature-256: sha256={signature}' -d '{body}'");

await app.WaitForShutdownAsync();
