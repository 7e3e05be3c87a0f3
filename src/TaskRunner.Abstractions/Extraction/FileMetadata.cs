namespace TaskRunner.Extraction;

/// <summary>What the metadata store keeps for one path.</summary>
public sealed record FileMetadata
{
    /// <summary>The path relative to the source root.</summary>
    public required string Path { get; init; }

    /// <summary>The size when last extracted.</summary>
    public required long Size { get; init; }

    /// <summary>The last write time when last extracted.</summary>
    public DateTimeOffset LastWriteUtc { get; init; }

    /// <summary>The content hash (lowercase hex) when last extracted.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The extractor's output (UTF-8 JSON); empty after a failure.</summary>
    public ReadOnlyMemory<byte> Metadata { get; init; }

    /// <summary>When it was extracted (or last failed).</summary>
    public DateTimeOffset ExtractedAt { get; init; }

    /// <summary>The error of the last failed extraction, if the retries ran out.</summary>
    public JobError? Error { get; init; }
}
