using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TaskRunner;
using TaskRunner.Diagnostics;
using TaskRunner.Extraction;
using TaskRunner.Locks;
using TaskRunner.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds TaskRunner to a service collection.</summary>
public static class TaskRunnerServiceCollectionExtensions
{
    /// <summary>Registers the TaskRunner engine (a hosted service), the job client, the lock provider and, unless a backend
    /// is chosen in <paramref name="configure"/>, the in-memory store. Safe to call more than once.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Registers jobs and queues, and picks a backend (<c>UseSqlite</c>, ...).</param>
    /// <returns>The builder, for more configuration.</returns>
    public static ITaskRunnerBuilder AddTaskRunner(this IServiceCollection services, Action<ITaskRunnerBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new TaskRunnerBuilder(services);

        // The host's choices first, so the defaults below (TryAdd) never override them.
        configure?.Invoke(builder);

        services.AddOptions<TaskRunnerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TaskRunnerOptions>, TaskRunnerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // No logging defaults: AddLogging registers its factory with TryAdd, so a NullLoggerFactory added here (before the
        // host's AddLogging) would silence the whole app. Our services take ILoggerFactory/ILogger<T> as optional instead.

        services.TryAddSingleton<IJobStore, InMemoryJobStore>();
        services.TryAddSingleton<ILockStore, InMemoryLockStore>();
        services.TryAddSingleton<IMetadataStore, InMemoryMetadataStore>();
        services.TryAddSingleton<IDistributedLockProvider, DistributedLockProvider>();

        services.TryAddSingleton(sp => new NodeIdentity(sp.GetRequiredService<IOptions<TaskRunnerOptions>>().Value.NodeId));
        services.TryAddSingleton(sp => new JobRegistry(sp.GetServices<JobRegistration>()));
        services.TryAddSingleton(sp => new TaskRunnerDiagnostics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<LocalSignals>();
        services.TryAddSingleton<DueTimeWaker>();
        services.TryAddSingleton<JobEvents>();
        services.TryAddSingleton<RunnerServices>();
        services.TryAddSingleton<JobClient>();
        services.TryAddSingleton<IJobClient>(sp => sp.GetRequiredService<JobClient>());
        services.TryAddSingleton<IJobSubmitter>(sp => sp.GetRequiredService<JobClient>());
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<ITaskRunnerMonitor>(sp => sp.GetRequiredService<JobRunner>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JobRunner>(sp => sp.GetRequiredService<JobRunner>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StoreNotificationListener>());

        // After the runner's hosted service, so the store initializers have run when the scheduler stores code schedules.
        SchedulingServiceCollectionExtensions.AddScheduling(services);
        return builder;
    }
}
