namespace TaskRunner;

/// <summary>Identifies a batch of jobs enqueued together (shards), created by the client.</summary>
/// <param name="Value">A unique value.</param>
public readonly record struct BatchId(Guid Value)
{
    /// <summary>Creates a new, unique batch id.</summary>
    public static BatchId New() => new(Guid.CreateVersion7());

    /// <inheritdoc />
    public override string ToString() => Value.ToString("N");
}
