using TaskRunner;

namespace WebDashboard;

/// <summary>Work enqueued at start, so the API (and the dashboard) have every state to show: reports that move, results,
/// a dead letter, a delayed job and a published event.</summary>
internal static class Seed
{
    public static async Task RunAsync(IServiceProvider services)
    {
        var jobs = services.GetRequiredService<IJobClient>();
        await jobs.EnqueueAsync(new Report("weekly-sales", Steps: 6));
        await jobs.EnqueueAsync(new Report("stock-levels", Steps: 4));
        await jobs.EnqueueManyAsync(new[] { new Resize("cat.png", 640), new Resize("dog.jpg", 320), new Resize("banner.webp", 1200) },
            new JobOptions { Tags = ["seed", "images"] });
        await jobs.EnqueueManyAsync(new[] { new Sync("warehouse-a", FailureRate: 0.5), new Sync("warehouse-b", FailureRate: 0.5) });
        await jobs.EnqueueAsync(new Sync("discontinued-skus", FailureRate: 1)); // always fails: a dead letter after two attempts
        await jobs.EnqueueAsync(new Resize("later.png", 800), new JobOptions { Delay = TimeSpan.FromMinutes(10) });

        // The same event id on every start: the first start enqueues its jobs, later ones nothing new.
        await services.GetRequiredService<IEventPublisher>().PublishAsync(OrderPaid.EventName, new OrderPaid("seed-1", 99.90m), eventId: "seed-order-1");
    }
}
