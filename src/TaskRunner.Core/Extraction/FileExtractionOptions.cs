namespace TaskRunner.Extraction;

/// <summary>Settings of one file extraction pipeline (SPEC §7). Named options (the pipeline's name), validated at start,
/// bindable from configuration: <c>services.Configure&lt;FileExtractionOptions&gt;("docs", config.GetSection("Docs"))</c>.</summary>
public sealed class FileExtractionOptions
{
    /// <summary>The directory tree to keep in step with its metadata.</summary>
    public string Root { get; set; } = "";

    /// <summary>How long a path must stay unchanged before it is processed; each change moves it on.</summary>
    /// <value>10 s; 1–60 s.</value>
    public TimeSpan DebounceDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a changed path waits, from its first change, even if it keeps changing.</summary>
    /// <value>120 s; 30–600 s.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How many received changes may wait to be handed to the job store; when full, changes are dropped and a
    /// reconciling scan finds them instead.</summary>
    /// <value>1,000; 100–10,000.</value>
    public int QueueSize { get; set; } = 1000;

    /// <summary>How many changes are handed to the job store in one call, and how many path jobs a worker claims at once.</summary>
    /// <value>20; 1–100.</value>
    public int BatchSize { get; set; } = 20;

    /// <summary>How many paths are extracted at once in this process (the concurrency of the pipeline's queue).</summary>
    /// <value>2; 1–8.</value>
    public int Workers { get; set; } = 2;

    /// <summary>Attempts of one path's extraction before its error is recorded (retries back off as for any job).</summary>
    /// <value>5; 1–100.</value>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Patterns of paths to leave out, in gitignore syntax (globs such as <c>*.tmp</c>, <c>build/</c>,
    /// <c>docs/**/draft-*.md</c>, negation with <c>!</c>). They apply before the tree's own <c>.gitignore</c> files, which
    /// can override them, as git's global excludes do. <c>.git/</c> is always left out.</summary>
    public IList<string> Ignore { get; } = [];

    /// <summary>Whether the <c>.gitignore</c> files in the tree (the root's and nested ones) are honoured.</summary>
    /// <value><see langword="true"/>.</value>
    public bool UseGitIgnoreFiles { get; set; } = true;

    /// <summary>How changes are found.</summary>
    /// <value><see cref="ChangeSourceMode.Auto"/>: watch, and poll if watching fails.</value>
    public ChangeSourceMode ChangeSource { get; set; } = ChangeSourceMode.Auto;

    /// <summary>The time between scans when polling, and before a failed watcher is restarted.</summary>
    /// <value>5 s; 100 ms–1 h.</value>
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(5);
}
