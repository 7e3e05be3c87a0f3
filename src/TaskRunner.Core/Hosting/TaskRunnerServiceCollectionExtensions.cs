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
    /// <summary>Registers the TaskRunner client side: the job client (<see cref="IJobClient"/>), the run-time schedule API
    /// (<c>IRecurringJobs</c>), the lock provider, the store (unless a backend is chosen in <paramref name="configure"/>, the
    /// in-memory one) and a hosted service that prepares the store at start. It runs no jobs: add
    /// <see cref="TaskRunnerWorkerServiceCollectionExtensions.AddTaskRunnerWorker(IServiceCollection, Action{ITaskRunnerBuilder})"/> in the processes that do, as Hangfire's
    /// <c>AddHangfire</c> + <c>AddHangfireServer</c>. Safe to call more than once.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Picks a backend (<c>UseSqlite</c>, ...), registers jobs (<c>AddJob</c> with a handler,
    /// <c>DeclareJob</c> without one) and the queues a worker serves.</param>
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
        services.TryAddSingleton<INodeRegistry, InMemoryNodeRegistry>();
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StoreInitialization>());
        SchedulingServiceCollectionExtensions.AddSchedulingClient(services);
        return builder;
    }
}
