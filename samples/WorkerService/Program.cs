// The worker half of the sample pair: a .NET Worker Service that runs the jobs samples/WebEnqueue enqueues, from the same
// SQLite file.   dotnet run --project samples/WorkerService -- --db /tmp/pair.db
using Samples.Shared;
using TaskRunner;
using TaskRunner.Sqlite;

// Its appsettings.json is read from beside the program, wherever it is started from (a service manager, a test, `dotnet run`).
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var database = builder.Configuration["db"] ?? Path.Combine(Path.GetTempPath(), "taskrunner-pair.db");

// The worker: the same store, the handler under the shared job name, and the engine that claims and runs jobs. Its
// queues come from appsettings.json ("TaskRunner" section); polling changes there apply without a restart.
builder.Services.AddTaskRunnerWorker(builder.Configuration.GetSection("TaskRunner"), b =>
{
    b.UseSqlite(database);
    b.AddJob<ThumbnailHandler, Thumbnail>(Thumbnail.JobName);
    b.AddObserver<ConsoleProgress>();
});

var host = builder.Build();
host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => Console.WriteLine("ready worker"));
await host.RunAsync();

/// <summary>Pretends to render a thumbnail and stores its size as the job's result.</summary>
internal sealed class ThumbnailHandler : IJobHandler<Thumbnail>
{
    public async ValueTask ExecuteAsync(Thumbnail payload, JobContext context)
    {
        await context.ReportProgressAsync(50, $"rendering {payload.Url}");
        context.SetResult(new { payload.Url, payload.Width, Height = payload.Width * 3 / 4 });
    }
}

/// <summary>Prints each finished job once its outcome is stored, so the console shows what the worker did.</summary>
internal sealed class ConsoleProgress : IJobObserver
{
    public void OnEvent(in JobEvent jobEvent)
    {
        if (jobEvent.Kind is JobEventKind.Succeeded or JobEventKind.DeadLettered)
        {
            Console.WriteLine($"{jobEvent.Kind.ToString().ToLowerInvariant()} {jobEvent.JobId} {jobEvent.JobName}");
        }
    }
}
