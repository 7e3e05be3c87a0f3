namespace TaskRunner.Extraction;

/// <summary>One update of a pipeline's metadata, as seen by <see cref="IFileMetadataView"/>.</summary>
/// <param name="Path">The path relative to the root, with '/' separators.</param>
/// <param name="Metadata">The new record, or <see langword="null"/> when the path's metadata was removed.</param>
/// <param name="Cursor">The cursor after this update: pass it to <see cref="IFileMetadataView.GetChangesSince"/> to
/// resume after it.</param>
public readonly record struct MetadataChange(string Path, FileMetadata? Metadata, long Cursor);
