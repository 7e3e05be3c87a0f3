using System.Text.RegularExpressions;
using MongoDB.Driver;

namespace TaskRunner.Mongo;

/// <summary>Settings of the MongoDB backend: which deployment and database hold jobs, locks, schedules and metadata, and
/// the prefix of their collections.</summary>
public sealed partial class MongoStoreOptions
{
    /// <summary>The default <see cref="CollectionPrefix"/>.</summary>
    public const string DefaultCollectionPrefix = "taskrunner_";

    /// <summary>A MongoDB connection string (<c>mongodb://host:27017/?replicaSet=rs0</c> or <c>mongodb+srv://...</c>).
    /// Either this or <see cref="Client"/> must be set, not both.</summary>
    /// <value>No default.</value>
    public string? ConnectionString { get; set; }

    /// <summary>A client the host built and owns (its settings, its authentication, its event subscribers); the backend never
    /// disposes it. Either this or <see cref="ConnectionString"/> must be set, not both.</summary>
    /// <value>No default.</value>
    public IMongoClient? Client { get; set; }

    /// <summary>The database that holds TaskRunner's collections; created by the server on first write. A MongoDB database
    /// name: 1 to 63 characters, none of <c>/\. "$</c> and no white space.</summary>
    /// <value>No default.</value>
    public string? Database { get; set; }

    /// <summary>The prefix of every collection name (<c>{prefix}jobs</c>, <c>{prefix}locks</c>...), so several applications
    /// can share a database: letters, digits, <c>_</c> or <c>-</c>, at most 40 characters.</summary>
    /// <value>Defaults to <c>taskrunner_</c>.</value>
    public string CollectionPrefix { get; set; } = DefaultCollectionPrefix;

    /// <summary>Checks every setting.</summary>
    /// <returns>One message per invalid setting, naming the option, the value and the rule; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasConnectionString == (Client is not null))
        {
            errors.Add(Client is null
                ? $"{nameof(MongoStoreOptions)}.{nameof(ConnectionString)} is '{ConnectionString}' and {nameof(Client)} is not set; set exactly one of them."
                : $"{nameof(MongoStoreOptions)}.{nameof(ConnectionString)} and {nameof(Client)} are both set; set exactly one of them.");
        }
        else if (hasConnectionString)
        {
            try
            {
                _ = MongoUrl.Create(ConnectionString);
            }
            catch (Exception exception) when (exception is MongoConfigurationException or FormatException or ArgumentException)
            {
                errors.Add($"{nameof(MongoStoreOptions)}.{nameof(ConnectionString)} is not a valid MongoDB connection string: {exception.Message}");
            }
        }

        if (Database is null || !DatabaseName().IsMatch(Database))
        {
            errors.Add($"{nameof(MongoStoreOptions)}.{nameof(Database)} is '{Database}'; it must be a MongoDB database name: 1 to 63 characters, none of /\\. \"$ and no white space.");
        }

        if (CollectionPrefix is null || !PrefixName().IsMatch(CollectionPrefix))
        {
            errors.Add($"{nameof(MongoStoreOptions)}.{nameof(CollectionPrefix)} is '{CollectionPrefix}'; it must be letters, digits, '_' or '-', at most 40 characters.");
        }

        return errors;
    }

    [GeneratedRegex("^[^/\\\\. \"$\\s\\x00]{1,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseName();

    [GeneratedRegex("^[A-Za-z0-9_-]{0,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixName();
}
