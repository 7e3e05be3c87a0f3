using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskRunner.Sqlite;
using TaskRunner.Tests.MultiProcess;
using Record = TaskRunner.Tests.MultiProcess.Record;

namespace TaskRunner.Tests.Events;

/// <summary>The event a test publishes to make a worker process record a value.</summary>
internal sealed record RecordRequested(long Value);

/// <summary>Events across real processes on one SQLite file: this process publishes, a worker process runs the job.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessEventTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_event_published_here_runs_its_subscribed_job_once_in_a_worker_process()
    {
        await using var db = await SharedDatabase.CreateAsync();
        var log = db.File("worker.log");
        using var worker = db.StartWorker("work", "--log", log, "--echo", "yes", "--expect", "2");
        await worker.WaitUntilReadyAsync(Startup);

        // The publisher, a client only: subscriptions live where events are published; the job itself runs in the worker.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunner(b => b
            .UseSqlite(db.Path)
            .DeclareJob<Record>("record")
            .AddEventSubscription<RecordRequested>("record.requested", s => s.Enqueue("record", e => new Record(e.Value))));
        using var host = builder.Build();
        var publisher = host.Services.GetRequiredService<IEventPublisher>();

        var first = await publisher.PublishAsync("record.requested", new RecordRequested(7), "evt-7");
        await worker.WaitForLineAsync(line => line == "done 7", TimeSpan.FromSeconds(30));

        // A redelivery of the same event after its job ran: nothing new is stored or run.
        var again = await publisher.PublishAsync("record.requested", new RecordRequested(7), "evt-7");
        var next = await publisher.PublishAsync("record.requested", new RecordRequested(8), "evt-8");

        // The worker exits once the store holds two succeeded jobs and nothing unfinished.
        await worker.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, first.CreatedCount);
        Assert.True(again.IsDuplicate);
        Assert.Equal(first.Jobs[0].Id, again.Jobs[0].Id);
        Assert.Equal(1, next.CreatedCount);
        var counts = await db.Store.CountAsync(null);
        Assert.Equal((2, 2), (counts.Total, counts.Succeeded));
        var values = File.ReadAllLines(log).Select(line => line.Split(' ')[1]).ToList();
        Assert.Equal(["7", "8"], values.Order(StringComparer.Ordinal));
        Assert.Contains(worker.Id.ToString(CultureInfo.InvariantCulture), File.ReadAllText(log), StringComparison.Ordinal);
    }
}
