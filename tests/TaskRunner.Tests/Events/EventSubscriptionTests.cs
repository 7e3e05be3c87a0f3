using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Events;

/// <summary>Event triggers in one process on the in-memory store: fan-out, filters, idempotency by event id, validation.
/// The same fan-out and idempotency run on every backend in <see cref="EventPublishContract{TFactory}"/>.</summary>
public sealed class EventSubscriptionTests
{
    private static RunnerHost Create(Action<ITaskRunnerBuilder> configure) =>
        RunnerHost.Create(
            b =>
            {
                b.AddJob<WorkHandler, Work>("send-receipt");
                b.AddJob<WorkHandler, Work>("notify-warehouse");
                b.AddJob<ReceiptHandler, Receipt>("receipt");
                configure(b);
            },
            services: s => s.AddSingleton<Probe>().AddSingleton<ReceiptLog>());

    private static IEventPublisher Publisher(RunnerHost host) => host.Services.GetRequiredService<IEventPublisher>();

    private static ITaskRunnerBuilder OrderPaidFanOut(ITaskRunnerBuilder b) =>
        b.AddEventSubscription<OrderPaid>("order.paid", s => s
            .Enqueue("send-receipt", e => new Work("receipt-" + e.OrderId))
            .Enqueue("notify-warehouse", e => new Work("ship-" + e.OrderId), new JobOptions { Queue = "warehouse", Priority = 5 })
            .When(e => e.Total > 0));

    [Fact]
    public async Task A_publish_enqueues_one_job_per_target_with_the_mapped_payload_and_an_event_key()
    {
        await using var host = Create(b => OrderPaidFanOut(b));

        var result = await Publisher(host).PublishAsync("order.paid", new OrderPaid("o-1", 12.5m), "evt-1");

        Assert.Equal(["send-receipt", "notify-warehouse"], result.Jobs.Select(j => j.Subscription));
        Assert.All(result.Jobs, j => Assert.True(j.Created));
        Assert.Equal(2, result.CreatedCount);
        Assert.False(result.IsDuplicate);
        var receipt = (await host.Store.GetAsync(result.Jobs[0].Id))!;
        var ship = (await host.Store.GetAsync(result.Jobs[1].Id))!;
        Assert.Equal("send-receipt", receipt.Name);
        Assert.Equal("event:order.paid:evt-1:send-receipt", receipt.IdempotencyKey);
        Assert.Equal(new Work("receipt-o-1"), JsonSerializer.Deserialize<Work>(receipt.Payload.Span, JsonSerializerOptions.Web));
        Assert.Equal("notify-warehouse", ship.Name);
        Assert.Equal("warehouse", ship.Queue);
        Assert.Equal(5, ship.Priority);
        Assert.Equal("event:order.paid:evt-1:notify-warehouse", ship.IdempotencyKey);
        Assert.Equal(new Work("ship-o-1"), JsonSerializer.Deserialize<Work>(ship.Payload.Span, JsonSerializerOptions.Web));
    }

    [Fact]
    public async Task A_repeated_event_id_enqueues_nothing_new_and_says_so()
    {
        await using var host = Create(b => OrderPaidFanOut(b));
        var publisher = Publisher(host);
        var first = await publisher.PublishAsync("order.paid", new OrderPaid("o-1", 10m), "evt-1");

        // The same id with other data (a retried webhook delivery) is the same event: the first publish's jobs stand.
        var again = await publisher.PublishAsync("order.paid", new OrderPaid("o-2", 99m), "evt-1");

        Assert.True(again.IsDuplicate);
        Assert.Equal(0, again.CreatedCount);
        Assert.Equal(first.Jobs.Select(j => j.Id), again.Jobs.Select(j => j.Id));
        Assert.Equal(2, (await host.Store.CountAsync(null)).Pending);

        var other = await publisher.PublishAsync("order.paid", new OrderPaid("o-2", 99m), "evt-2");
        Assert.Equal(2, other.CreatedCount);
        Assert.Equal(4, (await host.Store.CountAsync(null)).Pending);
    }

    [Fact]
    public async Task The_same_event_id_under_another_event_name_is_another_event()
    {
        await using var host = Create(b => OrderPaidFanOut(b).AddEventSubscription<OrderPaid>("order.refunded", s => s.Enqueue("send-receipt", e => new Work("refund-" + e.OrderId))));
        var publisher = Publisher(host);

        var paid = await publisher.PublishAsync("order.paid", new OrderPaid("o-1", 10m), "shared-id");
        var refunded = await publisher.PublishAsync("order.refunded", new OrderPaid("o-1", 10m), "shared-id");

        Assert.Equal(2, paid.CreatedCount);
        Assert.Equal(1, refunded.CreatedCount);
        Assert.DoesNotContain(refunded.Jobs[0].Id, paid.Jobs.Select(j => j.Id));
    }

    [Fact]
    public async Task A_filter_that_refuses_the_event_enqueues_nothing()
    {
        await using var host = Create(b => OrderPaidFanOut(b));

        var result = await Publisher(host).PublishAsync("order.paid", new OrderPaid("o-1", 0m), "evt-free");

        Assert.Empty(result.Jobs);
        Assert.False(result.IsDuplicate);
        Assert.Equal(0, (await host.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task Several_filters_must_all_accept_and_each_subscription_filters_on_its_own()
    {
        await using var host = Create(b => b
            .AddEventSubscription<OrderPaid>("order.paid", s => s
                .Enqueue("send-receipt", e => new Work("big-" + e.OrderId))
                .When(e => e.Total > 100)
                .When(e => e.Country == "DE"))
            .AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue("notify-warehouse", e => new Work("any-" + e.OrderId))));
        var publisher = Publisher(host);

        var small = await publisher.PublishAsync("order.paid", new OrderPaid("o-1", 500m, "FR"), "e1");
        var big = await publisher.PublishAsync("order.paid", new OrderPaid("o-2", 500m, "DE"), "e2");

        Assert.Equal(["notify-warehouse"], small.Jobs.Select(j => j.Subscription));
        Assert.Equal(["send-receipt", "notify-warehouse"], big.Jobs.Select(j => j.Subscription));
    }

    [Fact]
    public async Task Json_is_read_once_per_subscribed_type_and_mapped_by_payload_type()
    {
        await using var host = Create(b => b
            .AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue("send-receipt", e => new Work(e.OrderId + "@" + e.Total)))
            .AddEventSubscription<OrderRef>("order.paid", s => s.Enqueue(e => new Receipt(e.OrderId))));

        var result = await Publisher(host).PublishJsonAsync("order.paid", """{"orderId":"o-7","total":3.5}"""u8.ToArray(), "evt-7");

        Assert.Equal(["send-receipt", "receipt"], result.Jobs.Select(j => j.Subscription));
        var work = (await host.Store.GetAsync(result.Jobs[0].Id))!;
        var receipt = (await host.Store.GetAsync(result.Jobs[1].Id))!;
        Assert.Equal(new Work("o-7@3.5"), JsonSerializer.Deserialize<Work>(work.Payload.Span, JsonSerializerOptions.Web));
        Assert.Equal(new Receipt("o-7"), JsonSerializer.Deserialize<Receipt>(receipt.Payload.Span, JsonSerializerOptions.Web));
    }

    [Theory]
    [InlineData("{not json")] // malformed
    [InlineData("""{"total":3}""")] // the required constructor parameter orderId is missing
    [InlineData("""{"orderId":null,"total":3}""")] // null in a non-nullable member
    [InlineData("null")] // no event at all
    public async Task Unreadable_json_is_refused_and_enqueues_nothing(string json)
    {
        await using var host = Create(b => OrderPaidFanOut(b));

        await Assert.ThrowsAnyAsync<JsonException>(() => Publisher(host).PublishJsonAsync("order.paid", Encoding.UTF8.GetBytes(json), "evt-1").AsTask());

        Assert.Equal(0, (await host.Store.CountAsync(null)).Total);
    }

    [Theory]
    [InlineData("", "evt-1", "Event name ''")]
    [InlineData("order paid", "evt-1", "Event name 'order paid'")] // spaces
    [InlineData("order:paid", "evt-1", "Event name 'order:paid'")] // ':' separates the parts of the idempotency key
    [InlineData(".hidden", "evt-1", "Event name '.hidden'")] // must start with a letter or digit
    [InlineData("../../admin", "evt-1", "Event name '../../admin'")] // path traversal through a webhook URL
    [InlineData("order.paid\r\nX-Injected: 1", "evt-1", "Event name 'order.paid\\u000d\\u000aX-Injected: 1'")] // control characters are escaped in the message
    [InlineData("order.paid", "", "Event id ''")]
    [InlineData("order.paid", "id with space", "Event id 'id with space'")]
    [InlineData("order.paid", "ümlaut", "Event id 'ümlaut'")] // ASCII only
    public async Task Bad_event_names_and_ids_are_refused_naming_the_value_and_the_rule(string eventName, string eventId, string quoted)
    {
        await using var host = Create(b => OrderPaidFanOut(b));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Publisher(host).PublishAsync(eventName, new OrderPaid("o", 1m), eventId).AsTask());

        Assert.StartsWith(quoted + " is invalid: it must be 1–64 ASCII letters, digits", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await host.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task Names_and_ids_over_64_characters_are_refused_and_the_longest_allowed_fit_the_key_limit()
    {
        var longest = new string('e', 64);
        var target = new string('t', 64);
        await using var host = Create(b => b.AddEventSubscription<OrderPaid>(longest, s => s.Enqueue("send-receipt", e => new Work(e.OrderId), name: target)));
        var publisher = Publisher(host);

        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(longest + "e", new OrderPaid("o", 1m), "id").AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(longest, new OrderPaid("o", 1m), new string('i', 65)).AsTask());
        Assert.Throws<ArgumentException>(() => RunnerHost.Create(b => b.AddEventSubscription<OrderPaid>(longest + "e", s => s.Enqueue("x", e => e))));

        // 6 + 64 + 1 + 64 + 1 + 64 = 200: the longest key is within every store's idempotency key limit.
        var id = new string('i', 64);
        var result = await publisher.PublishAsync(longest, new OrderPaid("o", 1m), id);
        var job = (await host.Store.GetAsync(Assert.Single(result.Jobs).Id))!;
        Assert.Equal(200, job.IdempotencyKey!.Length);
        Assert.True((await publisher.PublishAsync(longest, new OrderPaid("o", 1m), id)).IsDuplicate);
    }

    [Fact]
    public async Task An_event_nobody_subscribes_to_enqueues_nothing()
    {
        await using var host = Create(b => OrderPaidFanOut(b));
        var publisher = Publisher(host);

        var result = await publisher.PublishAsync("order.cancelled", new OrderPaid("o", 1m), "evt-1");

        Assert.Empty(result.Jobs);
        Assert.False(publisher.HasSubscriptions("order.cancelled"));
        Assert.True(publisher.HasSubscriptions("order.paid"));
    }

    [Fact]
    public void A_subscription_without_a_job_is_refused_where_it_is_registered()
    {
        var error = Assert.Throws<ArgumentException>(() => RunnerHost.Create(b => b.AddEventSubscription<OrderPaid>("order.paid", s => s.When(e => e.Total > 0))));

        Assert.Contains("'order.paid' enqueues no job", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscription_to_an_unregistered_job_fails_the_start_naming_it()
    {
        var host = Create(b => b.AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue("no-such-job", e => new Work(e.OrderId))));
        using var disposed = host.Host; // a host whose start failed is disposed, not stopped

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync());

        Assert.Contains("event 'order.paid'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'no-such-job'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_targets_of_one_event_with_the_same_name_fail_the_start()
    {
        var host = Create(b => b
            .AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue("send-receipt", e => new Work("a")))
            .AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue("send-receipt", e => new Work("b"))));
        using var disposed = host.Host;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync());

        Assert.Contains("two subscription targets named 'send-receipt'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mapping_to_the_wrong_payload_type_fails_the_start()
    {
        var host = Create(b => b.AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue("send-receipt", e => new Receipt(e.OrderId))));
        using var disposed = host.Host;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Host.StartAsync());

        Assert.Contains("job 'send-receipt' takes " + typeof(Work).FullName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_subscribed_jobs_run_with_the_mapped_payload()
    {
        await using var host = Create(b => b.AddEventSubscription<OrderPaid>("order.paid", s => s.Enqueue(e => new Receipt(e.OrderId))));
        await host.Host.StartAsync();

        var result = await Publisher(host).PublishAsync("order.paid", new OrderPaid("o-42", 1m), "evt-42");

        var id = Assert.Single(result.Jobs).Id;
        await host.Events.WaitFor(JobEventKind.Succeeded, id);
        Assert.Equal([(new Receipt("o-42"), id)], host.Services.GetRequiredService<ReceiptLog>().Runs);
    }
}
