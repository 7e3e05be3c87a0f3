namespace TaskRunner.Extraction;

/// <summary>A file found by a full scan of a source.</summary>
/// <param name="Path">The path relative to the root, with '/' separators.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="LastWriteUtc">The last write time.</param>
public readonly record struct SourceEntry(string Path, long Size, DateTimeOffset LastWriteUtc);
