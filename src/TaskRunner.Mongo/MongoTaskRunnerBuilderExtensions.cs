using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using TaskRunner.Extraction;

namespace TaskRunner.Mongo;

/// <summary>Adds the MongoDB backend to <c>AddTaskRunner(...)</c>.</summary>
public static class MongoTaskRunnerBuilderExtensions
{
    /// <summary>Stores jobs, locks, schedules and metadata in the MongoDB database <paramref name="database"/> of the
    /// deployment named by <paramref name="connectionString"/> (collections and indexes are created on first start).</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="connectionString">A MongoDB connection string; a replica set (one node is enough) gives transactions and
    /// change-stream wake-ups, a standalone server works with the limits <c>docs/mongodb.md</c> lists.</param>
    /// <param name="database">The database name.</param>
    /// <param name="configure">Sets further <see cref="MongoStoreOptions"/> (e.g. <see cref="MongoStoreOptions.CollectionPrefix"/>); validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/>, <paramref name="connectionString"/> or <paramref name="database"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> or <paramref name="database"/> is empty or white space.</exception>
    public static ITaskRunnerBuilder UseMongo(this ITaskRunnerBuilder builder, string connectionString, string database, Action<MongoStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        return builder.UseMongo(options =>
        {
            options.ConnectionString = connectionString;
            options.Database = database;
            configure?.Invoke(options);
        });
    }

    /// <summary>Stores jobs, locks, schedules and metadata through a client the host built and owns; the backend never
    /// disposes it.</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="client">The client to use.</param>
    /// <param name="database">The database name.</param>
    /// <param name="configure">Sets further <see cref="MongoStoreOptions"/>; validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/>, <paramref name="client"/> or <paramref name="database"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="database"/> is empty or white space.</exception>
    public static ITaskRunnerBuilder UseMongo(this ITaskRunnerBuilder builder, IMongoClient client, string database, Action<MongoStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        return builder.UseMongo(options =>
        {
            options.Client = client;
            options.Database = database;
            configure?.Invoke(options);
        });
    }

    /// <summary>Stores jobs, locks, schedules and metadata in MongoDB as configured by <paramref name="configure"/>. This
    /// explicit choice replaces any store registered before (the in-memory defaults are only added when none is).</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="configure">Sets <see cref="MongoStoreOptions"/>; validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is null.</exception>
    public static ITaskRunnerBuilder UseMongo(this ITaskRunnerBuilder builder, Action<MongoStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        var services = builder.Services;
        services.AddOptions<MongoStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MongoStoreOptions>, MongoStoreOptionsValidator>());
        services.TryAddSingleton<MongoDatabase>();

        services.RemoveAll<IJobStore>();
        services.AddSingleton<IJobStore, MongoJobStore>();
        services.RemoveAll<ILockStore>();
        services.AddSingleton<ILockStore, MongoLockStore>();
        services.RemoveAll<IScheduleStore>();
        services.AddSingleton<IScheduleStore, MongoScheduleStore>();
        services.RemoveAll<IMetadataStore>();
        services.AddSingleton<IMetadataStore, MongoMetadataStore>();
        services.RemoveAll<INodeRegistry>();
        services.AddSingleton<INodeRegistry, MongoNodeRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStoreInitializer, MongoStoreInitializer>());
        return builder;
    }
}
