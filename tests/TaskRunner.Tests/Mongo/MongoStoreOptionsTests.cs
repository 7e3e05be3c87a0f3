using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using TaskRunner.Extraction;
using TaskRunner.Mongo;

namespace TaskRunner.Tests.Mongo;

/// <summary>Option validation and registration of the MongoDB backend: no server needed (a client connects lazily).</summary>
public sealed class MongoStoreOptionsTests
{
    [Fact]
    public void Valid_options_have_no_errors()
    {
        Assert.Empty(new MongoStoreOptions { ConnectionString = "mongodb://127.0.0.1:27017/?replicaSet=rs0", Database = "jobs" }.Validate());
        Assert.Empty(new MongoStoreOptions { Client = new MongoClient("mongodb://127.0.0.1:27017"), Database = "jobs", CollectionPrefix = "" }.Validate());
    }

    [Theory]
    [InlineData(null, false, "ConnectionString is '' and Client is not set")]
    [InlineData("mongodb://127.0.0.1", true, "ConnectionString and Client are both set")]
    [InlineData("http://127.0.0.1", false, "ConnectionString is not a valid MongoDB connection string")]
    public void A_missing_double_or_malformed_server_is_named(string? connectionString, bool client, string expected)
    {
        var options = new MongoStoreOptions { ConnectionString = connectionString, Client = client ? new MongoClient("mongodb://127.0.0.1") : null, Database = "jobs" };

        Assert.Contains(options.Validate(), e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a.b")] // a dot separates database and collection
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a$b")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")] // 64 characters: one too many
    public void An_invalid_database_name_is_rejected_naming_the_value_and_the_rule(string? database)
    {
        var error = Assert.Single(new MongoStoreOptions { ConnectionString = "mongodb://127.0.0.1", Database = database }.Validate());

        Assert.Contains($"MongoStoreOptions.Database is '{database}'", error, StringComparison.Ordinal);
        Assert.Contains("1 to 63 characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tr.")]
    [InlineData("has space")]
    [InlineData("01234567890123456789012345678901234567890")] // 41 characters
    public void An_invalid_collection_prefix_is_rejected_naming_the_value_and_the_rule(string prefix)
    {
        var error = Assert.Single(new MongoStoreOptions { ConnectionString = "mongodb://127.0.0.1", Database = "jobs", CollectionPrefix = prefix }.Validate());

        Assert.Contains($"MongoStoreOptions.CollectionPrefix is '{prefix}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Use_mongo_replaces_stores_registered_before_and_adds_the_initializer()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IJobStore>(_ => throw new InvalidOperationException("the earlier registration must not win"));

        new Builder(services).UseMongo("mongodb://127.0.0.1:27017/?replicaSet=rs0", "jobs", o => o.CollectionPrefix = "app_");
        using var provider = services.BuildServiceProvider();

        Assert.IsType<MongoJobStore>(provider.GetRequiredService<IJobStore>());
        Assert.IsType<MongoLockStore>(provider.GetRequiredService<ILockStore>());
        Assert.IsType<MongoScheduleStore>(provider.GetRequiredService<IScheduleStore>());
        Assert.IsType<MongoMetadataStore>(provider.GetRequiredService<IMetadataStore>());
        Assert.IsType<MongoStoreInitializer>(Assert.Single(provider.GetServices<IStoreInitializer>()));
        var database = provider.GetRequiredService<MongoDatabase>();
        Assert.Equal("jobs", database.Database.DatabaseNamespace.DatabaseName);
        Assert.Equal("app_jobs", database.Jobs.CollectionNamespace.CollectionName);
        Assert.Equal("app_locks", database.Locks.CollectionNamespace.CollectionName);
        Assert.Contains("database 'jobs'", database.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Use_mongo_with_a_client_uses_that_client()
    {
        var services = new ServiceCollection();
        var client = new MongoClient("mongodb://127.0.0.1:27017");

        new Builder(services).UseMongo(client, "jobs");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<MongoStoreOptions>>().Value;
        Assert.Same(client, options.Client);
        Assert.Same(client, provider.GetRequiredService<MongoDatabase>().Database.Client);
    }

    [Fact]
    public void Invalid_options_fail_when_read_with_the_option_named()
    {
        var services = new ServiceCollection();
        new Builder(services).UseMongo(o => o.ConnectionString = "mongodb://127.0.0.1");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MongoStoreOptions>>().Value);

        Assert.Contains("MongoStoreOptions.Database is ''", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Use_mongo_rejects_a_blank_connection_string_or_database_where_given()
    {
        var builder = new Builder(new ServiceCollection());

        Assert.Throws<ArgumentException>(() => builder.UseMongo(" ", "jobs"));
        Assert.Throws<ArgumentException>(() => builder.UseMongo("mongodb://127.0.0.1", ""));
        Assert.Throws<ArgumentNullException>(() => builder.UseMongo((IMongoClient)null!, "jobs"));
    }

    private sealed class Builder(IServiceCollection services) : ITaskRunnerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
