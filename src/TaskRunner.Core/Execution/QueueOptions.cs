namespace TaskRunner;

/// <summary>One queue's settings: its worker slots, claim batch size, share of the global limit and polling strategy.</summary>
public sealed class QueueOptions
{
    /// <summary>Creates settings for the queue <paramref name="name"/>.</summary>
    public QueueOptions(string name) => Name = name;

    /// <summary>The queue's name.</summary>
    public string Name { get; }

    /// <summary>How many jobs of this queue run at once in this process.</summary>
    /// <value>Defaults to 10. Range 1–1024.</value>
    public int Concurrency { get; set; } = 10;

    /// <summary>The most jobs claimed in one store call (the polling strategy may ask for fewer).</summary>
    /// <value>Defaults to 32. Range 1–1000.</value>
    public int BatchSize { get; set; } = 32;

    /// <summary>The queue's share of the global concurrency limit when queues compete for it.</summary>
    /// <value>Defaults to 1. Range 1–100.</value>
    public int Weight { get; set; } = 1;

    /// <summary>Creates the queue's polling strategy (one instance per queue); <see langword="null"/> for the default
    /// (exponential backoff while idle).</summary>
    public Func<IServiceProvider, IPollingStrategy>? PollingStrategyFactory { get; set; }
}
