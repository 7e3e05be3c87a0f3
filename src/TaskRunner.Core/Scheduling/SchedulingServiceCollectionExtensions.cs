using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Registers the run-time schedule API (called by <c>AddTaskRunner</c>) and the recurring scheduler (called by
/// <c>AddTaskRunnerWorker</c>). Every registration is a TryAdd, so the host's own (e.g. a SQLite
/// <see cref="IScheduleStore"/>) wins and repeated calls are harmless.</summary>
internal static class SchedulingServiceCollectionExtensions
{
    public static void AddSchedulingClient(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SchedulerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IScheduleStore, InMemoryScheduleStore>();
        services.TryAddSingleton<SchedulerWakeup>();
        services.TryAddSingleton<IPayloadJobNameResolver, JobRegistryNameResolver>();
        services.TryAddSingleton<RecurringJobs>();
        services.TryAddSingleton<IRecurringJobs>(sp => sp.GetRequiredService<RecurringJobs>());
    }

    /// <summary>The scheduler runs with the workers: it enqueues occurrences and stores code-registered schedules.</summary>
    public static void AddScheduler(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RecurringScheduler>());
    }
}
