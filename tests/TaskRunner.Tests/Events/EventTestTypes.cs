namespace TaskRunner.Tests.Events;

/// <summary>The event most tests publish.</summary>
internal sealed record OrderPaid(string OrderId, decimal Total, string? Country = null);

/// <summary>Another view of the same event's JSON, as a second subscription may declare it.</summary>
internal sealed record OrderRef(string OrderId);

/// <summary>A job payload mapped from an event.</summary>
internal sealed record Receipt(string OrderId);

/// <summary>Records each receipt job it runs.</summary>
internal sealed class ReceiptHandler(ReceiptLog log) : IJobHandler<Receipt>
{
    public ValueTask ExecuteAsync(Receipt payload, JobContext context)
    {
        log.Add(payload, context.JobId);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The receipts run, in order.</summary>
internal sealed class ReceiptLog
{
    private readonly List<(Receipt Receipt, JobId Id)> _runs = [];

    public IReadOnlyList<(Receipt Receipt, JobId Id)> Runs
    {
        get
        {
            lock (_runs)
            {
                return [.. _runs];
            }
        }
    }

    public void Add(Receipt receipt, JobId id)
    {
        lock (_runs)
        {
            _runs.Add((receipt, id));
        }
    }
}
