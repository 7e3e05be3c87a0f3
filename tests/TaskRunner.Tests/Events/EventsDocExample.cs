// The example in docs/events.md, kept compiling and running here (EventsDocExampleTests checks the doc shows this text).
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Sqlite;

namespace TaskRunner.Tests.Events.Docs;

internal static class EventsDocExample
{
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        // doc:begin
        builder.Services.AddTaskRunnerWorker(b => b
            .UseSqlite(builder.Configuration["Jobs:Path"] ?? "jobs.db")
            .AddJob<SendReceiptHandler, Receipt>("send-receipt")
            .AddJob<ReserveStockHandler, Reservation>("reserve-stock")

            // "order.paid" fans out to two jobs, for paid orders only.
            .AddEventSubscription<OrderPaid>("order.paid", s => s
                .Enqueue("send-receipt", e => new Receipt(e.OrderId, e.Email))
                .Enqueue("reserve-stock", e => new Reservation(e.OrderId), new JobOptions { Queue = "stock" })
                .When(e => e.Total > 0)));

        var app = builder.Build();

        // Publish from code: the event id makes it idempotent (a retry enqueues nothing new).
        app.MapPost("/orders/{id}/paid", async (string id, OrderPaid order, IEventPublisher events) =>
        {
            var published = await events.PublishAsync("order.paid", order, eventId: $"order-{id}-paid");
            return Results.Ok(new { jobs = published.Jobs.Count, duplicate = published.IsDuplicate });
        });

        // Or let other systems publish: POST /webhooks/order.paid with a JSON body, an X-Event-Id header and
        // X-Hub-Signature-256: sha256=<hex HMAC of the body>. Remote callers are refused (403) unless allowed.
        app.MapTaskRunnerWebhooks("/webhooks", o =>
        {
            o.SigningSecret = builder.Configuration["Webhooks:Secret"];
            o.AllowRemoteCallers = true; // callers prove themselves by the signature
        });
        // doc:end
        return app;
    }

    public sealed record OrderPaid(string OrderId, decimal Total, string Email);

    public sealed record Receipt(string OrderId, string Email);

    public sealed record Reservation(string OrderId);

    public sealed class SendReceiptHandler : IJobHandler<Receipt>
    {
        public ValueTask ExecuteAsync(Receipt payload, JobContext context) => ValueTask.CompletedTask;
    }

    public sealed class ReserveStockHandler : IJobHandler<Reservation>
    {
        public ValueTask ExecuteAsync(Reservation payload, JobContext context) => ValueTask.CompletedTask;
    }
}
