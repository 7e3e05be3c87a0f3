namespace TaskRunner.Extraction;

/// <summary>One change reported by an <see cref="IChangeSource"/>. Paths are relative to the source's root, with '/' separators.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Path">The path it happened to (empty for <see cref="ChangeKind.Overflow"/>).</param>
/// <param name="OldPath">For a rename, the previous path.</param>
public readonly record struct ChangeEvent(ChangeKind Kind, string Path, string? OldPath = null);
