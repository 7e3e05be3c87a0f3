using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>Identifies a batch of jobs enqueued together (shards), created by the client.</summary>
/// <remarks>In JSON it is a string of 32 hex digits, as <see cref="ToString"/> writes it.</remarks>
/// <param name="Value">A unique value.</param>
[JsonConverter(typeof(BatchIdJsonConverter))]
public readonly record struct BatchId(Guid Value)
{
    /// <summary>Creates a new, unique batch id.</summary>
    public static BatchId New() => new(Guid.CreateVersion7());

    /// <inheritdoc />
    public override string ToString() => Value.ToString("N");
}
