using System.Text.RegularExpressions;
using Npgsql;

namespace TaskRunner.Postgres;

/// <summary>Settings of the PostgreSQL backend: which server and database hold jobs, locks, schedules and metadata, and
/// in which schema.</summary>
public sealed partial class PostgresStoreOptions
{
    /// <summary>The default <see cref="Schema"/>.</summary>
    public const string DefaultSchema = "taskrunner";

    /// <summary>An Npgsql connection string (<c>Host=...;Database=...;Username=...;Password=...</c>). Either this or
    /// <see cref="DataSource"/> must be set, not both.</summary>
    /// <value>No default.</value>
    public string? ConnectionString { get; set; }

    /// <summary>A data source the host built and owns (its pool, its logging, its authentication); the backend opens its
    /// connections from it and never disposes it. Either this or <see cref="ConnectionString"/> must be set, not both.</summary>
    /// <value>No default.</value>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>The schema that holds TaskRunner's tables; created with them on first start. Several applications can
    /// share a database in schemas of their own. A lower-case identifier: a letter or underscore, then letters, digits or
    /// underscores, at most 63 characters.</summary>
    /// <value>Defaults to <c>taskrunner</c>.</value>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>Whether a claim's commit waits until the server has flushed it to disk, as every other write does. By
    /// default it does not (<c>synchronous_commit = off</c> for the claim's own transaction only; enqueues, outcomes, locks
    /// and schedules always wait): a claim lost in a server crash leaves its jobs as they were before it, so they are claimed
    /// again and the lost claim's outcomes are rejected by their lease token, the same at-least-once a crashed worker gets,
    /// while a claim no longer costs a disk flush (the engine's throughput on a commit-bound server is otherwise one claim
    /// of a few jobs per flush). Any later durable commit (an outcome) flushes the claims before it too.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool DurableClaims { get; set; }

    /// <summary>Checks every setting.</summary>
    /// <returns>One message per invalid setting, naming the option, the value and the rule; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasConnectionString == (DataSource is not null))
        {
            errors.Add(DataSource is null
                ? $"{nameof(PostgresStoreOptions)}.{nameof(ConnectionString)} is '{ConnectionString}' and {nameof(DataSource)} is not set; set exactly one of them."
                : $"{nameof(PostgresStoreOptions)}.{nameof(ConnectionString)} and {nameof(DataSource)} are both set; set exactly one of them.");
        }
        else if (hasConnectionString)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException exception)
            {
                errors.Add($"{nameof(PostgresStoreOptions)}.{nameof(ConnectionString)} is not a valid Npgsql connection string: {exception.Message}");
            }
        }

        if (Schema is null || !SchemaName().IsMatch(Schema))
        {
            errors.Add($"{nameof(PostgresStoreOptions)}.{nameof(Schema)} is '{Schema}'; it must be a lower-case identifier: a letter or underscore, then letters, digits or underscores, at most 63 characters.");
        }

        return errors;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();
}
