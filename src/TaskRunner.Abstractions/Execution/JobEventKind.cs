namespace TaskRunner;

/// <summary>The lifecycle moments an <see cref="IJobObserver"/> sees.</summary>
public enum JobEventKind
{
    /// <summary>A job was accepted by the store.</summary>
    Enqueued,

    /// <summary>An attempt started.</summary>
    Started,

    /// <summary>A handler reported progress.</summary>
    Progress,

    /// <summary>An attempt succeeded.</summary>
    Succeeded,

    /// <summary>An attempt failed and will be retried.</summary>
    Failed,

    /// <summary>The job was dead-lettered.</summary>
    DeadLettered,

    /// <summary>The job was cancelled while running.</summary>
    Cancelled,
}
