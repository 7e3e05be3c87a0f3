namespace TaskRunner.Extraction;

/// <summary>How a file extraction pipeline learns of changes.</summary>
public enum ChangeSourceMode
{
    /// <summary>A file system watcher (inotify on Linux), falling back to polling when watching fails (inotify limits,
    /// network mounts, a watcher that dies).</summary>
    Auto,

    /// <summary>A file system watcher only; when it fails it is restarted after a rescan, never replaced by polling.</summary>
    Watcher,

    /// <summary>A scan every <see cref="FileExtractionOptions.PollingInterval"/>, compared with the previous one.</summary>
    Polling,
}
