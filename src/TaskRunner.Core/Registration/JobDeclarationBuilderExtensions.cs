using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>Declares jobs by name and payload type without their handlers, for processes that only enqueue.</summary>
public static class JobDeclarationBuilderExtensions
{
    /// <summary>Declares the job <paramref name="name"/> taking a <typeparamref name="TPayload"/> payload, without its
    /// handler: this process can enqueue it (<c>EnqueueAsync(payload)</c> or by name), and a worker process that registers
    /// the handler under the same name with <c>AddJob</c> runs it. A process with both keeps the handler's registration;
    /// a declaration never makes a worker claim the job.</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="name">The job's stable name, as the worker registers it.</param>
    /// <param name="configure">Defaults for every enqueue of the job here (queue, priority, attempts, ...).</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is blank or longer than 200 characters, or the queue name is invalid.</exception>
    public static ITaskRunnerBuilder DeclareJob<TPayload>(this ITaskRunnerBuilder builder, string name, Action<JobRegistrationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        JobNames.ThrowIfInvalid(name, nameof(name));
        var options = new JobRegistrationOptions();
        configure?.Invoke(options);
        if (options.Queue is not null)
        {
            QueueNames.ThrowIfInvalid(options.Queue, nameof(configure));
        }

        builder.Services.AddSingleton<JobRegistration>(new DeclaredJobRegistration<TPayload>(name, options.ToJobOptions()));
        return builder;
    }
}
