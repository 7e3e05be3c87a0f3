using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TaskRunner.Storage;

namespace TaskRunner;

/// <summary>Registers jobs, queues, middleware and observers on an <see cref="ITaskRunnerBuilder"/>.</summary>
public static class TaskRunnerBuilderExtensions
{
    /// <summary>Registers a job: <typeparamref name="THandler"/> runs payloads of <typeparamref name="TPayload"/>, stored
    /// under the stable <paramref name="name"/> (by default the handler's short type name without a "Handler" or "Job"
    /// suffix) — never a CLR type name, so renaming or moving the class does not strand stored jobs.</summary>
    /// <exception cref="ArgumentException">The name is blank or longer than 200 characters.</exception>
    public static ITaskRunnerBuilder AddJob<THandler, TPayload>(this ITaskRunnerBuilder builder, string? name = null, Action<JobRegistrationOptions>? configure = null)
        where THandler : class, IJobHandler<TPayload>
    {
        ArgumentNullException.ThrowIfNull(builder);
        var jobName = name ?? JobNames.DefaultFor(typeof(THandler));
        JobNames.ThrowIfInvalid(jobName, nameof(name));
        var options = new JobRegistrationOptions();
        configure?.Invoke(options);
        if (options.Queue is not null)
        {
            QueueNames.ThrowIfInvalid(options.Queue, nameof(configure));
        }

        builder.Services.TryAddTransient<THandler>();
        builder.Services.AddSingleton<JobRegistration>(new JobRegistration<THandler, TPayload>(jobName, options.ToJobOptions()));
        return builder;
    }

    /// <summary>Adds (or reconfigures) a queue this process serves.</summary>
    /// <exception cref="ArgumentException">The name breaks the queue-name rule.</exception>
    public static ITaskRunnerBuilder AddQueue(this ITaskRunnerBuilder builder, string name, Action<QueueOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        QueueNames.ThrowIfInvalid(name, nameof(name));
        builder.Services.Configure<TaskRunnerOptions>(options =>
        {
            if (!options.Queues.TryGetValue(name, out var queue))
            {
                queue = new QueueOptions(name);
                options.Queues.Add(name, queue);
            }

            configure?.Invoke(queue);
        });
        return builder;
    }

    /// <summary>Configures the runner's options.</summary>
    public static ITaskRunnerBuilder Configure(this ITaskRunnerBuilder builder, Action<TaskRunnerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Keeps jobs and locks in this process's memory (the default when no backend is chosen): fast, not durable.</summary>
    public static ITaskRunnerBuilder UseInMemoryStore(this ITaskRunnerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IJobStore, InMemoryJobStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ILockStore, Locks.InMemoryLockStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<INodeRegistry, InMemoryNodeRegistry>());
        return builder;
    }

    /// <summary>Adds middleware run around every execution (a singleton; the first added is outermost).</summary>
    public static ITaskRunnerBuilder AddMiddleware<TMiddleware>(this ITaskRunnerBuilder builder)
        where TMiddleware : class, IJobMiddleware
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobMiddleware, TMiddleware>());
        return builder;
    }

    /// <summary>Adds an observer of lifecycle events (a singleton).</summary>
    public static ITaskRunnerBuilder AddObserver<TObserver>(this ITaskRunnerBuilder builder)
        where TObserver : class, IJobObserver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobObserver, TObserver>());
        return builder;
    }
}
