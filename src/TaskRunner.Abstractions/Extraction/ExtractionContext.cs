namespace TaskRunner.Extraction;

/// <summary>What an <see cref="IExtractor"/> is told about the file it reads.</summary>
/// <param name="Entry">The file.</param>
/// <param name="Attempt">The attempt number, from 1.</param>
public readonly record struct ExtractionContext(SourceEntry Entry, int Attempt);
