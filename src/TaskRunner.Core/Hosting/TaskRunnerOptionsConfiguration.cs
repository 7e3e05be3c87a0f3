using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Binds <see cref="TaskRunnerOptions"/> from a configuration section (<c>BindConfiguration</c>): every option,
/// the circuit breaker, and the queues under <c>Queues:&lt;name&gt;</c> with their settings, <c>Paused</c>, and a
/// <c>Polling</c> section whose <c>Strategy</c> is <c>IdleBackoff</c> (the default), <c>FixedInterval</c>, <c>Adaptive</c>
/// or <c>ScheduledWindows</c> and whose other keys are that strategy's options. Runs with every other configuration of the
/// options, so the result is validated at start like options set in code; a value that cannot be read names its path.</summary>
internal sealed class TaskRunnerOptionsConfiguration(IConfiguration configuration) : IConfigureOptions<TaskRunnerOptions>
{
    private static readonly string[] Strategies = ["IdleBackoff", "FixedInterval", "Adaptive", "ScheduledWindows"];

    public void Configure(TaskRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var queues = configuration.GetSection("Queues").GetChildren().ToList();

        // Queues are created here (they take their name in the constructor), so the binder below fills existing ones.
        foreach (var queue in queues.Where(q => !options.Queues.ContainsKey(q.Key)))
        {
            options.Queues.Add(queue.Key, new QueueOptions(queue.Key));
        }

        configuration.Bind(options);
        foreach (var queue in queues)
        {
            var polling = queue.GetSection("Polling");
            if (polling.Exists())
            {
                ApplyPolling(options.Queues[queue.Key], polling);
            }
        }
    }

    private static void ApplyPolling(QueueOptions queue, IConfigurationSection polling)
    {
        var strategy = polling["Strategy"] ?? "IdleBackoff";
        try
        {
            switch (Array.Find(Strategies, s => string.Equals(s, strategy, StringComparison.OrdinalIgnoreCase)))
            {
                case "IdleBackoff":
                    queue.UseIdleBackoff(o => polling.Bind(o));
                    break;
                case "FixedInterval":
                    queue.UseFixedInterval(o => polling.Bind(o));
                    break;
                case "Adaptive":
                    queue.UseAdaptivePolling(o => polling.Bind(o));
                    break;
                case "ScheduledWindows":
                    queue.UseScheduledWindows(o =>
                    {
                        o.TimeZoneId = polling["TimeZoneId"] ?? o.TimeZoneId;
                        foreach (var window in polling.GetSection("Windows").GetChildren())
                        {
                            o.AddWindow(window["Cron"] ?? "", window.GetValue<TimeSpan>("Duration"));
                        }
                    });
                    break;
                default:
                    throw new InvalidOperationException(
                        $"Configuration '{polling.Path}:Strategy' is '{strategy}'; it must be one of {string.Join(", ", Strategies)}.");
            }
        }
        catch (ArgumentException ex)
        {
            // The strategy's own check names the option and the rule; the path says where it was set.
            throw new InvalidOperationException($"Configuration '{polling.Path}' is invalid: {ex.Message}", ex);
        }
    }
}
