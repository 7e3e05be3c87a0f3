namespace TaskRunner.Extraction;

/// <summary>What happened to a path.</summary>
public enum ChangeKind
{
    /// <summary>A file appeared.</summary>
    Created,

    /// <summary>A file's content or size changed.</summary>
    Changed,

    /// <summary>A file went away.</summary>
    Deleted,

    /// <summary>A file moved; <see cref="ChangeEvent.OldPath"/> is where it was.</summary>
    Renamed,

    /// <summary>The source lost track (watcher overflow or error): the whole tree must be rescanned.</summary>
    Overflow,
}
