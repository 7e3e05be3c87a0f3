using System.Text.Json;

namespace TaskRunner;

/// <summary>The runner's settings. Validated when the host starts; an out-of-range value fails the start with an error
/// naming the option, the value and the allowed range.</summary>
public sealed class TaskRunnerOptions
{
    /// <summary>This process's worker id, stored as the owner of leases and locks.</summary>
    /// <value>Defaults to <c>{machine}:{process id}:{random}</c>.</value>
    public string NodeId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The queues this process serves. When none is added, it serves <c>"default"</c> with default settings.</summary>
    public IDictionary<string, QueueOptions> Queues { get; } = new Dictionary<string, QueueOptions>(StringComparer.Ordinal);

    /// <summary>The most jobs running at once in this process, across all queues; <see langword="null"/> for the sum of the queues' concurrency.</summary>
    /// <value>Defaults to <see langword="null"/>. Range 1–4096.</value>
    public int? GlobalConcurrency { get; set; }

    /// <summary>Whether this process claims jobs of any name, also those it has no handler for, and dead-letters those
    /// at once as <c>HandlerNotRegistered</c> (fail fast on a misspelt or removed job, when every worker runs the same
    /// build). By default a process claims only the job names it has handlers for, so a job no worker here can run stays
    /// pending for one that can (rolling deploys: an old worker leaves a new job type alone).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool ClaimAnyJobName { get; set; }

    /// <summary>How long a claimed job's lease lasts without a heartbeat. A crashed worker's jobs are recovered after it.</summary>
    /// <value>Defaults to 30 seconds. Range 1 second – 1 hour.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often running jobs' leases are extended.</summary>
    /// <value>Defaults to 10 seconds. Range 10 ms – half of <see cref="LeaseDuration"/>.</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often expired leases (crashed workers) are looked for.</summary>
    /// <value>Defaults to 10 seconds. Range 10 ms – 1 hour.</value>
    public TimeSpan StaleLeaseCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often this worker renews its entry in the node registry and checks for pending work no live worker
    /// serves (logged as a warning, on <see cref="ITaskRunnerMonitor.UnservedWork"/> and the health check).</summary>
    /// <value>Defaults to 15 seconds. Range 10 ms – 10 minutes.</value>
    public TimeSpan NodeHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a node's entry counts as live after its last heartbeat; older entries are purged.</summary>
    /// <value>Defaults to 1 minute. Range 2 × <see cref="NodeHeartbeatInterval"/> – 1 day.</value>
    public TimeSpan NodeExpiry { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long shutdown waits for running jobs before cancelling them and handing them back.</summary>
    /// <value>Defaults to 30 seconds. Range 0 – 1 hour.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts before a job is dead-lettered, unless its registration or enqueue says otherwise.</summary>
    /// <value>Defaults to 10. Range 1–1000.</value>
    public int DefaultMaxAttempts { get; set; } = 10;

    /// <summary>The delay before the first retry; later retries double it (with ±20 % jitter).</summary>
    /// <value>Defaults to 2 seconds. Range 1 ms – 1 day.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest delay between retries.</summary>
    /// <value>Defaults to 1 hour. Range <see cref="RetryBaseDelay"/> – 7 days.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The largest serialized payload accepted at enqueue, in bytes.</summary>
    /// <value>Defaults to 1 MiB. Range 1 B – 64 MiB.</value>
    public int MaxPayloadBytes { get; set; } = 1 << 20;

    /// <summary>The most worker reports written to the store in one call.</summary>
    /// <value>Defaults to 256. Range 1–10,000.</value>
    public int CompletionBatchSize { get; set; } = 256;

    /// <summary>How long succeeded and cancelled jobs are kept before they are purged.</summary>
    /// <value>Defaults to 1 day. Range 0 – 365 days.</value>
    public TimeSpan FinishedJobRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long dead-lettered jobs are kept before they are purged; <see langword="null"/> to keep them until purged by hand.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public TimeSpan? DeadLetterRetention { get; set; }

    /// <summary>How often retention purges run.</summary>
    /// <value>Defaults to 5 minutes. Range 1 second – 1 day.</value>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The circuit breaker around store calls in the poll loop.</summary>
    public CircuitBreakerSettings CircuitBreaker { get; } = new();

    /// <summary>How payloads and results are serialized.</summary>
    /// <value>Defaults to <see cref="JsonSerializerOptions.Web"/> settings.</value>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);
}
