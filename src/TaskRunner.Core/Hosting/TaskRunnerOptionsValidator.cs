using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Checks <see cref="TaskRunnerOptions"/> at start; every failure names the option, the value and the range.</summary>
internal sealed class TaskRunnerOptionsValidator : IValidateOptions<TaskRunnerOptions>
{
    // One range per option; the <value> docs of TaskRunnerOptions, QueueOptions and CircuitBreakerSettings state the same.
    internal static readonly OptionRange<int> GlobalConcurrency = new("TaskRunnerOptions.GlobalConcurrency", 1, 4096);
    internal static readonly OptionRange<TimeSpan> LeaseDuration = new("TaskRunnerOptions.LeaseDuration", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));

    // The upper bound is half the lease, set at the check.
    internal static readonly OptionRange<TimeSpan> HeartbeatInterval = new("TaskRunnerOptions.HeartbeatInterval", TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(30));
    internal static readonly OptionRange<TimeSpan> StaleLeaseCheckInterval = new("TaskRunnerOptions.StaleLeaseCheckInterval", TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
    internal static readonly OptionRange<TimeSpan> NodeHeartbeatInterval = new("TaskRunnerOptions.NodeHeartbeatInterval", TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));

    // The lower bound is twice the heartbeat interval, set at the check.
    internal static readonly OptionRange<TimeSpan> NodeExpiry = new("TaskRunnerOptions.NodeExpiry", TimeSpan.FromMilliseconds(20), TimeSpan.FromDays(1));
    internal static readonly OptionRange<TimeSpan> ShutdownTimeout = new("TaskRunnerOptions.ShutdownTimeout", TimeSpan.Zero, TimeSpan.FromHours(1));
    internal static readonly OptionRange<int> DefaultMaxAttempts = new("TaskRunnerOptions.DefaultMaxAttempts", 1, 1000);
    internal static readonly OptionRange<TimeSpan> RetryBaseDelay = new("TaskRunnerOptions.RetryBaseDelay", TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));

    // The lower bound is the base delay, set at the check.
    internal static readonly OptionRange<TimeSpan> RetryMaxDelay = new("TaskRunnerOptions.RetryMaxDelay", TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(7));
    internal static readonly OptionRange<int> MaxPayloadBytes = new("TaskRunnerOptions.MaxPayloadBytes", 1, 64 << 20);
    internal static readonly OptionRange<int> CompletionBatchSize = new("TaskRunnerOptions.CompletionBatchSize", 1, 10_000);
    internal static readonly OptionRange<TimeSpan> FinishedJobRetention = new("TaskRunnerOptions.FinishedJobRetention", TimeSpan.Zero, TimeSpan.FromDays(365));
    internal static readonly OptionRange<TimeSpan> DeadLetterRetention = new("TaskRunnerOptions.DeadLetterRetention", TimeSpan.Zero, TimeSpan.FromDays(3650));
    internal static readonly OptionRange<TimeSpan> RetentionCheckInterval = new("TaskRunnerOptions.RetentionCheckInterval", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
    internal static readonly OptionRange<int> FailureThreshold = new("TaskRunnerOptions.CircuitBreaker.FailureThreshold", 2, 1000);
    internal static readonly OptionRange<double> FailureRatio = new("TaskRunnerOptions.CircuitBreaker.FailureRatio", 0.1, 1);
    internal static readonly OptionRange<TimeSpan> SamplingDuration = new("TaskRunnerOptions.CircuitBreaker.SamplingDuration", TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
    internal static readonly OptionRange<TimeSpan> BreakDuration = new("TaskRunnerOptions.CircuitBreaker.BreakDuration", TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));

    // Per queue, named after the queue: TaskRunnerOptions.Queues["q"].Concurrency.
    internal static readonly OptionRange<int> QueueConcurrency = new(nameof(QueueOptions.Concurrency), 1, 1024);
    internal static readonly OptionRange<int> QueueBatchSize = new(nameof(QueueOptions.BatchSize), 1, 1000);
    internal static readonly OptionRange<int> QueuePrefetch = new(nameof(QueueOptions.Prefetch), 0, 1000);
    internal static readonly OptionRange<int> QueueWeight = new(nameof(QueueOptions.Weight), 1, 100);
    internal static readonly OptionRange<int> QueueClusterConcurrency = new(nameof(QueueOptions.ClusterConcurrency), 1, 100_000);

    public ValidateOptionsResult Validate(string? name, TaskRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.NodeId) || options.NodeId.Length > 200)
        {
            failures.Add($"TaskRunnerOptions.NodeId is '{options.NodeId}'; it must be 1–200 characters and not blank.");
        }

        if (options.GlobalConcurrency is { } global)
        {
            GlobalConcurrency.Check(global, failures);
        }

        LeaseDuration.Check(options.LeaseDuration, failures);
        HeartbeatInterval.WithMax(options.LeaseDuration / 2).Check(options.HeartbeatInterval, failures);
        StaleLeaseCheckInterval.Check(options.StaleLeaseCheckInterval, failures);
        NodeHeartbeatInterval.Check(options.NodeHeartbeatInterval, failures);
        NodeExpiry.WithMin(options.NodeHeartbeatInterval * 2).Check(options.NodeExpiry, failures);
        ShutdownTimeout.Check(options.ShutdownTimeout, failures);
        DefaultMaxAttempts.Check(options.DefaultMaxAttempts, failures);
        RetryBaseDelay.Check(options.RetryBaseDelay, failures);
        RetryMaxDelay.WithMin(options.RetryBaseDelay).Check(options.RetryMaxDelay, failures);
        MaxPayloadBytes.Check(options.MaxPayloadBytes, failures);
        CompletionBatchSize.Check(options.CompletionBatchSize, failures);
        FinishedJobRetention.Check(options.FinishedJobRetention, failures);
        if (options.DeadLetterRetention is { } deadLetterRetention)
        {
            DeadLetterRetention.Check(deadLetterRetention, failures);
        }

        RetentionCheckInterval.Check(options.RetentionCheckInterval, failures);
        FailureThreshold.Check(options.CircuitBreaker.FailureThreshold, failures);
        FailureRatio.Check(options.CircuitBreaker.FailureRatio, failures);
        SamplingDuration.Check(options.CircuitBreaker.SamplingDuration, failures);
        BreakDuration.Check(options.CircuitBreaker.BreakDuration, failures);
        if (options.JsonSerializerOptions is null)
        {
            failures.Add("TaskRunnerOptions.JsonSerializerOptions is null; it must be set.");
        }

        foreach (var (key, queue) in options.Queues)
        {
            var prefix = $"TaskRunnerOptions.Queues[\"{key}\"]";
            if (QueueNames.Validate(key) is { } queueError)
            {
                failures.Add($"{prefix}: {queueError}");
            }

            QueueConcurrency.Check(queue.Concurrency, failures, prefix);
            QueueBatchSize.Check(queue.BatchSize, failures, prefix);
            if (queue.Prefetch is { } prefetch)
            {
                QueuePrefetch.Check(prefetch, failures, prefix);
            }

            QueueWeight.Check(queue.Weight, failures, prefix);
            if (queue.ClusterConcurrency is { } cluster)
            {
                QueueClusterConcurrency.Check(cluster, failures, prefix);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
