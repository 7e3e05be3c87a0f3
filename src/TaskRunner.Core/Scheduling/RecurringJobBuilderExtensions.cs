using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>Registers recurring schedules in code.</summary>
public static class RecurringJobBuilderExtensions
{
    /// <summary>Registers a recurring schedule. When the host starts it is stored (or, when the stored definition differs,
    /// updated: code wins), so it fires from every process without further calls.</summary>
    /// <typeparam name="TPayload">The payload type, serialized with System.Text.Json; also picks the job to run unless
    /// <see cref="RecurringJobOptions.JobName"/> is set.</typeparam>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="name">The schedule's unique name.</param>
    /// <param name="cron">A cron expression with 5 fields, or 6 with seconds first.</param>
    /// <param name="payload">The payload of each occurrence's job.</param>
    /// <param name="configure">Sets the time zone (default UTC), misfire policy, queue or job name.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The name is empty, the expression invalid, the time zone unknown or an option
    /// out of range; the message names the value. A name registered twice with different definitions fails at start.</exception>
    public static ITaskRunnerBuilder AddRecurring<TPayload>(this ITaskRunnerBuilder builder, string name, string cron, TPayload payload, Action<RecurringJobOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new RecurringJobOptions();
        configure?.Invoke(options);
        RecurringJobs.ValidateDefinition(name, cron, options);
        // No AddScheduling here: AddTaskRunner adds it after the configure callback, behind the job registry's name resolver
        // and the runner's hosted service. Adding it from inside the callback would win the TryAdds with the payload-type
        // name resolver and start the scheduler before the store initializers.
        builder.Services.AddSingleton(new RecurringJobRegistration(name, cron, typeof(TPayload), payload, options));
        return builder;
    }
}
