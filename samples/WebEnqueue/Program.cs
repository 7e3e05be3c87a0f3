// The client half of the sample pair: an ASP.NET Core minimal API that enqueues jobs and shows their status. It has no
// handler classes and runs no worker — samples/WorkerService runs the jobs from the same SQLite file.
//   dotnet run --project samples/WebEnqueue -- --db /tmp/pair.db --urls http://127.0.0.1:5080
//   curl -X POST localhost:5080/thumbnails -H 'content-type: application/json' -d '{"url":"https://example.org/a.png","width":64}'
//   curl localhost:5080/jobs/1
// samples/run-web-and-worker.sh starts both.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Samples.Shared;
using TaskRunner;
using TaskRunner.Sqlite;

var builder = WebApplication.CreateBuilder(args);
var database = builder.Configuration["db"] ?? Path.Combine(Path.GetTempPath(), "taskrunner-pair.db");

// Client only: the store, IJobClient and the job declared by name and payload type. No AddJob, no AddTaskRunnerWorker.
builder.Services.AddTaskRunner(b =>
{
    b.UseSqlite(database);
    b.DeclareJob<Thumbnail>(Thumbnail.JobName, o => o.MaxAttempts = 3);
});

var app = builder.Build();

app.MapPost("/thumbnails", async (Thumbnail request, IJobClient jobs, CancellationToken cancellationToken) =>
{
    var id = await jobs.EnqueueAsync(request, cancellationToken: cancellationToken);
    return Results.Accepted($"/jobs/{id}", new { id = id.Value });
});

app.MapGet("/jobs/{id:long}", async (long id, IJobClient jobs, CancellationToken cancellationToken) =>
    await jobs.GetAsync(new JobId(id), cancellationToken) is { } job
        ? Results.Ok(new
        {
            id = job.Id.Value,
            name = job.Name,
            state = job.State.ToString(),
            attempts = job.Attempts,
            result = job.Result is { } result ? System.Text.Encoding.UTF8.GetString(result.Span) : null,
        })
        : Results.NotFound());

await app.StartAsync();

// One line a launcher or a test can wait for: the address actually bound (with --urls http://127.0.0.1:0, a free port).
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
Console.WriteLine($"ready {address}");
await app.WaitForShutdownAsync();
