using System.Net;
using System.Reflection;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using TaskRunner.Mongo;

namespace TaskRunner.Tests.Mongo;

/// <summary>The translation of the driver's own exception types into <see cref="JobStoreException"/>s (no server needed:
/// the exceptions are built as the driver builds them from a server's reply).</summary>
public sealed class MongoErrorTests
{
    private const string Description = "database 'jobs' on 127.0.0.1:27017";

    private static readonly ConnectionId Connection = new(new ServerId(new ClusterId(), new DnsEndPoint("127.0.0.1", 27017)));

    [Theory]
    [InlineData(112, "WriteConflict", true)] // two transactions wrote one document: the driver's retry or ours succeeds
    [InlineData(10107, "NotWritablePrimary", true)] // an election: the next primary takes the write
    [InlineData(189, "PrimarySteppedDown", true)]
    [InlineData(91, "ShutdownInProgress", true)]
    [InlineData(50, "MaxTimeMSExpired", true)]
    [InlineData(13, "Unauthorized", false)] // no retry grants a permission
    [InlineData(2, "BadValue", false)]
    public void A_server_error_is_transient_exactly_when_a_retry_can_succeed(int code, string codeName, bool transient)
    {
        var translated = MongoErrors.Translate(Command(code, codeName), Description);

        Assert.NotNull(translated);
        Assert.Equal(transient, translated.IsTransient);
        Assert.Contains(Description, translated.Message, StringComparison.Ordinal);
        Assert.Contains($"{code} ({codeName})", translated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_key_is_recognised_from_a_command_a_write_and_a_bulk_write()
    {
        var write = NewWriteException(ServerErrorCategory.DuplicateKey, 11000);
        var bulk = NewBulkWriteException(ServerErrorCategory.DuplicateKey, 11000, index: 3);

        Assert.True(MongoErrors.IsDuplicateKey(Command(11000, "DuplicateKey")));
        Assert.True(MongoErrors.IsDuplicateKey(write));
        Assert.True(MongoErrors.IsDuplicateKey(bulk));
        Assert.False(MongoErrors.IsDuplicateKey(Command(112, "WriteConflict")));
        Assert.False(MongoErrors.IsDuplicateKey(NewWriteException(ServerErrorCategory.Uncategorized, 2)));

        var translated = MongoErrors.Translate(write, Description)!;
        Assert.False(translated.IsTransient);
        Assert.Contains("duplicate key", translated.Message, StringComparison.Ordinal);
        Assert.Equal(3, Assert.Single(bulk.WriteErrors).Index);
    }

    [Fact]
    public void A_write_conflict_inside_a_write_or_a_retry_label_is_transient()
    {
        Assert.True(MongoErrors.Translate(NewWriteException(ServerErrorCategory.Uncategorized, 112), Description)!.IsTransient);

        var labelled = new MongoException("commit failed");
        labelled.AddErrorLabel("TransientTransactionError");
        Assert.True(MongoErrors.Translate(labelled, Description)!.IsTransient);
        Assert.False(MongoErrors.Translate(new MongoException("something else"), Description)!.IsTransient);
    }

    [Fact]
    public void Lost_connections_and_timeouts_are_transient_and_bad_credentials_are_not()
    {
        Assert.True(MongoErrors.Translate(new MongoConnectionException(Connection, "connection reset"), Description)!.IsTransient);
        Assert.True(MongoErrors.Translate(new TimeoutException("A timeout occurred after 30000ms selecting a server"), Description)!.IsTransient);
        Assert.True(MongoErrors.Translate(new MongoNotPrimaryException(Connection, new BsonDocument("insert", "jobs"), Reply(10107, "NotWritablePrimary")), Description)!.IsTransient);

        var credentials = MongoErrors.Translate(new MongoAuthenticationException(Connection, "Authentication failed."), Description)!;
        Assert.False(credentials.IsTransient);
        Assert.Contains("credentials", credentials.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancellation_and_foreign_exceptions_pass_through_untranslated()
    {
        Assert.Null(MongoErrors.Translate(new OperationCanceledException(), Description));
        Assert.Null(MongoErrors.Translate(new JobStoreException("already translated"), Description));
        Assert.Null(MongoErrors.Translate(new InvalidOperationException("a bug, not the database"), Description));
    }

    private static BsonDocument Reply(int code, string codeName) =>
        new() { { "ok", 0 }, { "code", code }, { "codeName", codeName }, { "errmsg", codeName + " from the server" } };

    private static MongoCommandException Command(int code, string codeName) =>
        new(Connection, codeName + " from the server", new BsonDocument("update", "jobs"), Reply(code, codeName));

    // WriteError and BulkWriteError have internal constructors: the driver makes them from a server reply. Built here the
    // same way, by their constructor (category, code, message, details; a bulk error first takes the model's index).
    private static WriteError NewWriteError(ServerErrorCategory category, int code) =>
        (WriteError)Construct(typeof(WriteError), [category, code, "E" + code, new BsonDocument()]);

    private static MongoWriteException NewWriteException(ServerErrorCategory category, int code) =>
        new(Connection, NewWriteError(category, code), null, null);

    private static MongoBulkWriteException<BsonDocument> NewBulkWriteException(ServerErrorCategory category, int code, int index)
    {
        var error = (BulkWriteError)Construct(typeof(BulkWriteError), [index, category, code, "E" + code, new BsonDocument()]);
        var result = new BulkWriteResult<BsonDocument>.Acknowledged(1, 0, 0, 0, 0, [], []);
        return new MongoBulkWriteException<BsonDocument>(Connection, result, [error], null, []);
    }

    private static object Construct(Type type, object[] arguments)
    {
        var constructor = type.GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Single(c => c.GetParameters().Select(p => p.ParameterType).SequenceEqual(arguments.Select(a => a.GetType())));
        return constructor.Invoke(arguments);
    }
}
