using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using TaskRunner;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the TaskRunner worker (the engine that claims and runs jobs) to a service collection.</summary>
public static class TaskRunnerWorkerServiceCollectionExtensions
{
    /// <summary>Runs jobs in this process: registers the engine (a hosted service that claims and runs the jobs of the
    /// queues in <see cref="TaskRunnerOptions.Queues"/> whose handlers are registered with <c>AddJob</c>), the recurring
    /// scheduler, the store's push wake-ups and <see cref="ITaskRunnerMonitor"/>, on top of what
    /// <see cref="TaskRunnerServiceCollectionExtensions.AddTaskRunner(IServiceCollection, Action{ITaskRunnerBuilder})"/> registers (called here too, so either order works).
    /// As Hangfire's <c>AddHangfireServer</c> or Quartz's <c>AddQuartzHostedService</c>. Safe to call more than once.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Optional: the same builder as <c>AddTaskRunner</c>'s (backend, jobs, queues).</param>
    /// <returns>The builder, for more configuration.</returns>
    public static ITaskRunnerBuilder AddTaskRunnerWorker(this IServiceCollection services, Action<ITaskRunnerBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddTaskRunner(configure);
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<ITaskRunnerMonitor>(sp => sp.GetRequiredService<JobRunner>());
        services.TryAddSingleton<IQueueControl>(sp => sp.GetRequiredService<JobRunner>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JobRunner>(sp => sp.GetRequiredService<JobRunner>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StoreNotificationListener>());

        // After the runner's hosted service, so the store initializers have run when the scheduler stores code schedules.
        SchedulingServiceCollectionExtensions.AddScheduler(services);
        return builder;
    }

    /// <summary>Runs jobs in this process (<see cref="AddTaskRunnerWorker(IServiceCollection, Action{ITaskRunnerBuilder})"/>),
    /// with options bound from <paramref name="configuration"/> (<c>BindConfiguration</c>) before <paramref name="configure"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The section, e.g. <c>builder.Configuration.GetSection("TaskRunner")</c>.</param>
    /// <param name="configure">Optional: backend, jobs, queues; applied after the configuration, so it overrides it.</param>
    /// <returns>The builder, for more configuration.</returns>
    public static ITaskRunnerBuilder AddTaskRunnerWorker(this IServiceCollection services, IConfiguration configuration, Action<ITaskRunnerBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddTaskRunnerWorker(b =>
        {
            b.BindConfiguration(configuration);
            configure?.Invoke(b);
        });
    }

    /// <summary>The client side (<see cref="TaskRunnerServiceCollectionExtensions.AddTaskRunner(IServiceCollection, Action{ITaskRunnerBuilder})"/>) with options bound from
    /// <paramref name="configuration"/> (<c>BindConfiguration</c>) before <paramref name="configure"/>.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The section, e.g. <c>builder.Configuration.GetSection("TaskRunner")</c>.</param>
    /// <param name="configure">Optional: backend and jobs; applied after the configuration, so it overrides it.</param>
    /// <returns>The builder, for more configuration.</returns>
    public static ITaskRunnerBuilder AddTaskRunner(this IServiceCollection services, IConfiguration configuration, Action<ITaskRunnerBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddTaskRunner(b =>
        {
            b.BindConfiguration(configuration);
            configure?.Invoke(b);
        });
    }
}
