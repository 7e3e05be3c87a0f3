using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskRunner.Mongo;
using TaskRunner.Postgres;
using TaskRunner.Sqlite;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>A generic host running TaskRunner on the real clock with one queue, as an application would.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly TempDatabase? _database;
    private readonly TempSchema? _schema;
    private readonly TempMongoDatabase? _mongo;

    private BenchHost(IHost host, TempDatabase? database, TempSchema? schema, TempMongoDatabase? mongo)
    {
        _host = host;
        _database = database;
        _schema = schema;
        _mongo = mongo;
    }

    public IServiceProvider Services => _host.Services;

    public IJobClient Client => Services.GetRequiredService<IJobClient>();

    public IJobStore Store => Services.GetRequiredService<IJobStore>();

    public static async Task<BenchHost> StartAsync(Backend backend, int workers, Action<ITaskRunnerBuilder> configure, Action<IServiceCollection>? services = null)
    {
        var database = backend == Backend.Sqlite ? new TempDatabase() : null;
        var schema = backend == Backend.Postgres ? new TempSchema() : null;
        var mongo = backend == Backend.Mongo ? new TempMongoDatabase() : null;
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (Environment.GetEnvironmentVariable("BENCH_LOG") is { Length: > 0 } level)
        {
            // For diagnosing a runner only: console logging costs far more than the engine's hot path.
            builder.Logging.AddConsole().SetMinimumLevel(Enum.Parse<LogLevel>(level, ignoreCase: true));
        }

        services?.Invoke(builder.Services);
        builder.Services.AddTaskRunnerWorker(b =>
        {
            if (database is not null)
            {
                b.UseSqlite(database.FilePath);
            }

            if (schema is not null)
            {
                b.UsePostgres(schema.ConnectionString, o => o.Schema = schema.Name);
            }

            if (mongo is not null)
            {
                b.UseMongo(mongo.ConnectionString, mongo.Name);
            }

            b.AddQueue("default", q => q.Concurrency = workers);
            configure(b);
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return new BenchHost(host, database, schema, mongo);
    }

    /// <summary>Waits until every stored job of the queue is finished (polling the store's counts).</summary>
    public async Task WaitUntilFinishedAsync(long total, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var counts = await Store.CountAsync("default").ConfigureAwait(false);
            if (counts.Succeeded >= total)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Only {counts.Succeeded} of {total} jobs finished within {timeout}.");
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
            _database?.Dispose();
            _schema?.Dispose();
            _mongo?.Dispose();
        }
    }
}
