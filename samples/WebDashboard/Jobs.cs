using TaskRunner;

namespace WebDashboard;

/// <summary>A report built in steps, one second each, reporting its progress: a job to watch move.</summary>
internal sealed record Report(string Name, int Steps)
{
    public const string JobName = "build-report";
}

internal sealed class ReportHandler : IJobHandler<Report>
{
    public async ValueTask ExecuteAsync(Report payload, JobContext context)
    {
        var steps = Math.Clamp(payload.Steps, 1, 30);
        for (var step = 1; step <= steps; step++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), context.CancellationToken);
            await context.ReportProgressAsync(step * 100 / steps, $"step {step} of {steps}");
        }

        context.SetResult(new { report = payload.Name, rows = steps * 125 });
    }
}

/// <summary>An image resize that returns its result at once.</summary>
internal sealed record Resize(string File, int Width)
{
    public const string JobName = "resize-image";
}

internal sealed class ResizeHandler : IJobHandler<Resize>
{
    public ValueTask ExecuteAsync(Resize payload, JobContext context)
    {
        context.SetResult(new { file = payload.File, width = payload.Width, height = payload.Width * 3 / 4, bytes = payload.Width * 42 });
        return ValueTask.CompletedTask;
    }
}

/// <summary>A sync with a flaky partner: fails now and then (<see cref="FailureRate"/>), so retries and, after its two
/// attempts, dead letters exist. A rate of 1 always fails.</summary>
internal sealed record Sync(string Scope, double FailureRate)
{
    public const string JobName = "sync-inventory";
}

internal sealed class SyncHandler : IJobHandler<Sync>
{
    public ValueTask ExecuteAsync(Sync payload, JobContext context)
    {
        if (Random.Shared.NextDouble() < payload.FailureRate)
        {
            throw new HttpRequestException($"The inventory service did not answer for '{payload.Scope}' (attempt {context.Attempt}).");
        }

        context.SetResult(new { scope = payload.Scope, items = 17 });
        return ValueTask.CompletedTask;
    }
}

/// <summary>The event the webhook publishes: POST /webhooks/order.paid.</summary>
internal sealed record OrderPaid(string OrderId, decimal Total)
{
    public const string EventName = "order.paid";
}

/// <summary>The job <see cref="OrderPaid"/> starts first: a receipt, which always succeeds.</summary>
internal sealed record Receipt(string OrderId, decimal Total)
{
    public const string JobName = "send-receipt";
}

internal sealed class ReceiptHandler : IJobHandler<Receipt>
{
    public ValueTask ExecuteAsync(Receipt payload, JobContext context)
    {
        context.SetResult(new { orderId = payload.OrderId, sent = true });
        return ValueTask.CompletedTask;
    }
}

/// <summary>Prints each finished job once its outcome is stored (<c>succeeded 17 resize-image</c>), so the console shows
/// what the worker did and a launcher can wait for a job.</summary>
internal sealed class ConsoleOutcomes : IJobObserver
{
    public void OnEvent(in JobEvent jobEvent)
    {
        if (jobEvent.Kind is JobEventKind.Succeeded or JobEventKind.DeadLettered)
        {
            Console.WriteLine($"{jobEvent.Kind.ToString().ToLowerInvariant()} {jobEvent.JobId} {jobEvent.JobName}");
        }
    }
}
