using System.Globalization;
using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Checks <see cref="TaskRunnerOptions"/> at start; every failure names the option, the value and the range.</summary>
internal sealed class TaskRunnerOptionsValidator : IValidateOptions<TaskRunnerOptions>
{
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
            Range(failures, "TaskRunnerOptions.GlobalConcurrency", global, 1, 4096);
        }

        Range(failures, "TaskRunnerOptions.LeaseDuration", options.LeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(failures, "TaskRunnerOptions.HeartbeatInterval", options.HeartbeatInterval, TimeSpan.FromMilliseconds(10), options.LeaseDuration / 2);
        Range(failures, "TaskRunnerOptions.StaleLeaseCheckInterval", options.StaleLeaseCheckInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(failures, "TaskRunnerOptions.ShutdownTimeout", options.ShutdownTimeout, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(failures, "TaskRunnerOptions.DefaultMaxAttempts", options.DefaultMaxAttempts, 1, 1000);
        Range(failures, "TaskRunnerOptions.RetryBaseDelay", options.RetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        Range(failures, "TaskRunnerOptions.RetryMaxDelay", options.RetryMaxDelay, options.RetryBaseDelay, TimeSpan.FromDays(7));
        Range(failures, "TaskRunnerOptions.MaxPayloadBytes", options.MaxPayloadBytes, 1, 64 << 20);
        Range(failures, "TaskRunnerOptions.CompletionBatchSize", options.CompletionBatchSize, 1, 10_000);
        Range(failures, "TaskRunnerOptions.FinishedJobRetention", options.FinishedJobRetention, TimeSpan.Zero, TimeSpan.FromDays(365));
        if (options.DeadLetterRetention is { } deadLetterRetention)
        {
            Range(failures, "TaskRunnerOptions.DeadLetterRetention", deadLetterRetention, TimeSpan.Zero, TimeSpan.FromDays(3650));
        }

        Range(failures, "TaskRunnerOptions.RetentionCheckInterval", options.RetentionCheckInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(failures, "TaskRunnerOptions.CircuitBreaker.FailureThreshold", options.CircuitBreaker.FailureThreshold, 2, 1000);
        if (options.CircuitBreaker.FailureRatio is < 0.1 or > 1 or double.NaN)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"TaskRunnerOptions.CircuitBreaker.FailureRatio is {options.CircuitBreaker.FailureRatio}; it must be between 0.1 and 1."));
        }

        Range(failures, "TaskRunnerOptions.CircuitBreaker.SamplingDuration", options.CircuitBreaker.SamplingDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
        Range(failures, "TaskRunnerOptions.CircuitBreaker.BreakDuration", options.CircuitBreaker.BreakDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1));
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

            Range(failures, $"{prefix}.Concurrency", queue.Concurrency, 1, 1024);
            Range(failures, $"{prefix}.BatchSize", queue.BatchSize, 1, 1000);
            Range(failures, $"{prefix}.Prefetch", queue.Prefetch, 0, 1000);
            Range(failures, $"{prefix}.Weight", queue.Weight, 1, 100);
            if (queue.ClusterConcurrency is { } cluster)
            {
                Range(failures, $"{prefix}.ClusterConcurrency", cluster, 1, 100_000);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string option, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{option} is {value}; it must be between {min} and {max}."));
        }
    }

    private static void Range(List<string> failures, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{option} is {value}; it must be between {min} and {max}."));
        }
    }
}
