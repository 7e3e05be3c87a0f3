using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TaskRunner.Extraction;

namespace TaskRunner.Sqlite;

/// <summary>Adds the SQLite backend to <c>AddTaskRunner(...)</c>.</summary>
public static class SqliteTaskRunnerBuilderExtensions
{
    /// <summary>Stores jobs, locks, schedules and metadata in the SQLite file at <paramref name="path"/>.</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="path">The database file; several processes may share it.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    public static ITaskRunnerBuilder UseSqlite(this ITaskRunnerBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.UseSqlite(options => options.Path = path);
    }

    /// <summary>Stores jobs, locks, schedules and metadata in a SQLite file configured by <paramref name="configure"/>.
    /// This explicit choice replaces any store registered before (the in-memory defaults are only added when none is).</summary>
    /// <param name="builder">The TaskRunner builder.</param>
    /// <param name="configure">Sets <see cref="SqliteStoreOptions"/>; validated at start.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is null.</exception>
    public static ITaskRunnerBuilder UseSqlite(this ITaskRunnerBuilder builder, Action<SqliteStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        var services = builder.Services;
        services.AddOptions<SqliteStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton<SqliteDatabase>();

        services.RemoveAll<IJobStore>();
        services.AddSingleton<IJobStore, SqliteJobStore>();
        services.RemoveAll<ILockStore>();
        services.AddSingleton<ILockStore, SqliteLockStore>();
        services.RemoveAll<IScheduleStore>();
        services.AddSingleton<IScheduleStore, SqliteScheduleStore>();
        services.RemoveAll<INodeRegistry>();
        services.AddSingleton<INodeRegistry, SqliteNodeRegistry>();
        services.RemoveAll<IMetadataStore>();
        services.AddSingleton<IMetadataStore, SqliteMetadataStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStoreInitializer, SqliteStoreInitializer>());
        return builder;
    }
}
