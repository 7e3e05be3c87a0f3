using TaskRunner.Tests.Postgres;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Mongo;

/// <summary>The MongoDB suites are skipped exactly when no server is configured, with a reason naming the variable; other
/// backends' suites are never affected.</summary>
public sealed class MongoSuiteSkipTests
{
    [Fact]
    public void Mongo_suites_are_skipped_naming_the_variable_exactly_when_it_is_unset()
    {
        var configured = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(MongoStoreFactory.EnvironmentVariable));
        foreach (var suite in new[] { typeof(MongoJobStoreTests), typeof(MongoLockStoreTests), typeof(MongoScheduleStoreTests), typeof(MongoMetadataStoreTests), typeof(MongoLockProviderTests) })
        {
            var reason = RequiresServerAttribute.SkipReasonFor(suite);
            if (configured)
            {
                Assert.Null(reason);
            }
            else
            {
                Assert.NotNull(reason);
                Assert.Contains(MongoStoreFactory.EnvironmentVariable, reason, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Suites_of_other_backends_and_server_free_tests_are_never_skipped_by_it()
    {
        Assert.Null(RequiresServerAttribute.SkipReasonFor(typeof(PostgresJobStoreTests)));
        Assert.Null(RequiresServerAttribute.SkipReasonFor(typeof(SqliteJobStoreTests)));
        Assert.Null(RequiresServerAttribute.SkipReasonFor(typeof(MongoQueryRenderingTests)));
    }
}
