using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using TaskRunner.Extraction;

namespace TaskRunner.Postgres;

/// <summary>Adds the PostgreSQL backend to <c>AddTaskRunner(...)</c>.</summary>
public static class PostgresTaskRunnerBuilderExtensions
{
    /// <summary>Stores jobs, locks, schedules and metadata in the PostgreSQL database named by
    /// <paramref name="connectionString"/>, in a schema of their own (created with its tables on first start).</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="connectionString">An Npgsql connection string; many processes on many machines may share the database.</param>
    /// <param name="configure">Sets further <see cref="PostgresStoreOptions"/> (e.g. <see cref="PostgresStoreOptions.Schema"/>); validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="connectionString"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is empty or white space.</exception>
    public static ITaskRunnerBuilder UsePostgres(this ITaskRunnerBuilder builder, string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgres(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
    }

    /// <summary>Stores jobs, locks, schedules and metadata in PostgreSQL through a data source the host built and owns
    /// (its pool, logging and authentication); the backend never disposes it.</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="dataSource">The data source to open connections from.</param>
    /// <param name="configure">Sets further <see cref="PostgresStoreOptions"/>; validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSource"/> is null.</exception>
    public static ITaskRunnerBuilder UsePostgres(this ITaskRunnerBuilder builder, NpgsqlDataSource dataSource, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgres(options =>
        {
            options.DataSource = dataSource;
            configure?.Invoke(options);
        });
    }

    /// <summary>Stores jobs, locks, schedules and metadata in PostgreSQL as configured by <paramref name="configure"/>.
    /// This explicit choice replaces any store registered before (the in-memory defaults are only added when none is).</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="configure">Sets <see cref="PostgresStoreOptions"/>; validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is null.</exception>
    public static ITaskRunnerBuilder UsePostgres(this ITaskRunnerBuilder builder, Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        var services = builder.Services;
        services.AddOptions<PostgresStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, PostgresStoreOptionsValidator>());
        services.TryAddSingleton<PostgresDatabase>();

        services.RemoveAll<IJobStore>();
        services.AddSingleton<IJobStore, PostgresJobStore>();
        services.RemoveAll<ILockStore>();
        services.AddSingleton<ILockStore, PostgresLockStore>();
        services.RemoveAll<IScheduleStore>();
        services.AddSingleton<IScheduleStore, PostgresScheduleStore>();
        services.RemoveAll<INodeRegistry>();
        services.AddSingleton<INodeRegistry, PostgresNodeRegistry>();
        services.RemoveAll<IMetadataStore>();
        services.AddSingleton<IMetadataStore, PostgresMetadataStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStoreInitializer, PostgresStoreInitializer>());
        return builder;
    }
}
