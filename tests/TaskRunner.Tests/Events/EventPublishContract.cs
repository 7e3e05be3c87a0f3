using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Contracts;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Events;

/// <summary>Event publishing on a backend (SPEC §2, events): a publish stores one job per matching subscription in one
/// atomic call, and a repeated event id — from this process or another sharing the store — enqueues nothing new.
/// Each "process" is a TaskRunner host (built, not started: only publishing is tested) over its own store instance and
/// connections (<see cref="IStoreFactory.OpenSharedJobStore"/>). Subclassed in one line per backend.</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract class EventPublishContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private RunnerHost Process(IJobStore store) =>
        RunnerHost.Create(
            b => b
                .AddJob<WorkHandler, Work>("send-receipt")
                .AddJob<WorkHandler, Work>("notify-warehouse")
                .AddEventSubscription<OrderPaid>("order.paid", s => s
                    .Enqueue("send-receipt", e => new Work("receipt-" + e.OrderId))
                    .Enqueue("notify-warehouse", e => new Work("ship-" + e.OrderId), new JobOptions { Queue = "warehouse" })
                    .When(e => e.Total > 0)),
            services: s => s.AddSingleton(store).AddSingleton<Probe>());

    private static IEventPublisher Publisher(RunnerHost host) => host.Services.GetRequiredService<IEventPublisher>();

    [Fact]
    public async Task Publish_stores_one_job_per_matching_subscription_visible_to_another_process()
    {
        await using var publisher = Process(Factory.JobStore);
        var reader = Factory.OpenSharedJobStore();

        var result = await Publisher(publisher).PublishAsync("order.paid", new OrderPaid("o-1", 20m), "evt-1");
        var skipped = await Publisher(publisher).PublishAsync("order.paid", new OrderPaid("o-2", 0m), "evt-2");

        Assert.Empty(skipped.Jobs);
        Assert.Equal(2, result.CreatedCount);
        var receipt = (await reader.GetAsync(result.Jobs[0].Id))!;
        var ship = (await reader.GetAsync(result.Jobs[1].Id))!;
        Assert.Equal(("send-receipt", JobOptions.DefaultQueue, "event:order.paid:evt-1:send-receipt"), (receipt.Name, receipt.Queue, receipt.IdempotencyKey));
        Assert.Equal(("notify-warehouse", "warehouse", "event:order.paid:evt-1:notify-warehouse"), (ship.Name, ship.Queue, ship.IdempotencyKey));
        Assert.Equal(new Work("receipt-o-1"), JsonSerializer.Deserialize<Work>(receipt.Payload.Span, JsonSerializerOptions.Web));
        Assert.Equal(new Work("ship-o-1"), JsonSerializer.Deserialize<Work>(ship.Payload.Span, JsonSerializerOptions.Web));
        Assert.Equal(2, (await reader.CountAsync(null)).Pending);
    }

    [Fact]
    public async Task A_repeated_event_id_from_another_process_enqueues_nothing_new()
    {
        await using var first = Process(Factory.JobStore);
        await using var second = Process(Factory.OpenSharedJobStore());
        var published = await Publisher(first).PublishAsync("order.paid", new OrderPaid("o-1", 20m), "evt-1");

        var again = await Publisher(second).PublishAsync("order.paid", new OrderPaid("o-1", 20m), "evt-1");

        Assert.True(again.IsDuplicate);
        Assert.Equal(published.Jobs.Select(j => j.Id), again.Jobs.Select(j => j.Id));
        Assert.Equal(2, (await Factory.JobStore.CountAsync(null)).Total);
    }

    [Fact]
    public async Task Concurrent_publishes_of_one_event_id_from_two_processes_store_each_job_once()
    {
        await using var first = Process(Factory.JobStore);
        await using var second = Process(Factory.OpenSharedJobStore());
        const int Events = 20;

        for (var i = 0; i < Events; i++)
        {
            var id = "evt-" + i;
            var results = await Task.WhenAll(
                Task.Run(() => Publisher(first).PublishAsync("order.paid", new OrderPaid("o-" + i, 5m), id).AsTask()),
                Task.Run(() => Publisher(second).PublishAsync("order.paid", new OrderPaid("o-" + i, 5m), id).AsTask()));

            // Both see the same two jobs; between them each job was created exactly once.
            Assert.Equal(results[0].Jobs.Select(j => j.Id), results[1].Jobs.Select(j => j.Id));
            Assert.Equal(2, results[0].CreatedCount + results[1].CreatedCount);
        }

        Assert.Equal(2 * Events, (await Factory.JobStore.CountAsync(null)).Total);
    }
}
