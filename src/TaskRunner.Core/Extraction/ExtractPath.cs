namespace TaskRunner.Extraction;

/// <summary>The payload of one path's unit of work in the job store.</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Path">The path relative to its root.</param>
internal sealed record ExtractPath(string Pipeline, string Path);
