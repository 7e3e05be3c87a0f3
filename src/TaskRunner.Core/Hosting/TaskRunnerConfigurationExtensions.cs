using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Binds TaskRunner's options from <see cref="IConfiguration"/> (e.g. the <c>TaskRunner</c> section of
/// <c>appsettings.json</c>).</summary>
public static class TaskRunnerConfigurationExtensions
{
    /// <summary>Binds <see cref="TaskRunnerOptions"/> from <paramref name="configuration"/>: every option by its name
    /// (<c>LeaseDuration</c>, <c>CircuitBreaker:FailureThreshold</c>, ...) and the queues under <c>Queues:&lt;name&gt;</c>
    /// (<c>Concurrency</c>, <c>BatchSize</c>, <c>Prefetch</c>, <c>Weight</c>, <c>ClusterConcurrency</c>, <c>Paused</c>,
    /// and <c>Polling</c>: <c>Strategy</c> = <c>IdleBackoff</c> | <c>FixedInterval</c> | <c>Adaptive</c> |
    /// <c>ScheduledWindows</c> with that strategy's options). Validated at start like options set in code; configuration
    /// applied after this call (<c>AddQueue</c>, <c>Configure</c>) overrides it. A worker follows reloads of the
    /// configuration for its queues' polling strategies and <c>Paused</c> without a restart; other options are read at start.</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="configuration">The section, e.g. <c>builder.Configuration.GetSection("TaskRunner")</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITaskRunnerBuilder BindConfiguration(this ITaskRunnerBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddSingleton<IConfigureOptions<TaskRunnerOptions>>(new TaskRunnerOptionsConfiguration(configuration));
        builder.Services.AddSingleton<IOptionsChangeTokenSource<TaskRunnerOptions>>(new ConfigurationChangeTokenSource<TaskRunnerOptions>(configuration));
        return builder;
    }
}
