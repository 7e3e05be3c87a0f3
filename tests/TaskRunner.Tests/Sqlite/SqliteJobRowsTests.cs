using System.Reflection;
using TaskRunner.Sqlite;

namespace TaskRunner.Tests.Sqlite;

/// <summary>The SQLite backend's one <see cref="NewJob"/> → columns mapping and the raw statement it binds.</summary>
public sealed class SqliteJobRowsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task A_continuation_stored_in_its_batch_row_reads_back_equal_in_every_property()
    {
        var batchId = new BatchId(Guid.NewGuid());
        var continuation = new NewJob
        {
            Name = "after",
            Payload = new byte[] { 1, 2, 3 },
            Queue = "reports",
            Priority = 7,
            RunAt = T0.AddMinutes(5),
            MaxAttempts = 4,
            Timeout = TimeSpan.FromSeconds(90),
            UniqueKey = "unique",
            DebounceMaxDelay = TimeSpan.FromSeconds(3),
            IdempotencyKey = "idempotent",
            ConcurrencyKey = "key",
            ConcurrencyLimit = 3,
            Tags = ["a", "b"],
            BatchId = new BatchId(Guid.NewGuid()),
            OccurrenceAt = T0.AddHours(1),
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };
        var properties = typeof(NewJob).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var defaults = new NewJob { Name = "" };

        // Every property is set above: one added to NewJob later fails here until it is set, and then below until the
        // mapping stores it (or it is named as not stored).
        Assert.All(properties, property => Assert.False(
            Same(property.GetValue(continuation), property.GetValue(defaults)),
            $"NewJob.{property.Name} keeps its default in this test; give it a value."));

        using var database = _factory.OpenDatabase();
        var read = await database.WriteAsync((batchId, continuation), static (session, state) =>
        {
            // One job in the batch, so the continuation stays in the batch row.
            SqliteBatches.Create(session, new NewBatch { Id = state.batchId, Jobs = [new NewJob { Name = "shard", BatchId = state.batchId }], Continuation = state.continuation }, T0);
            var command = session.Command(SqliteJobSql.Batch, "@id");
            command.Set(0, state.batchId.Value.ToByteArray());
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            return SqliteJobRows.ReadNewJob(reader, 2);
        }, CancellationToken.None);

        foreach (var property in properties)
        {
            if (property.Name == nameof(NewJob.DebounceMaxDelay))
            {
                continue; // steers the enqueue only; a continuation is enqueued without it, as before it was stored
            }

            Assert.True(Same(property.GetValue(continuation), property.GetValue(read)), $"NewJob.{property.Name} did not survive the batch row.");
        }
    }

    [Fact]
    public async Task A_batch_without_continuation_stores_no_continuation_columns()
    {
        var batchId = new BatchId(Guid.NewGuid());
        var store = _factory.JobStore;

        await store.CreateBatchAsync(new NewBatch { Id = batchId, Jobs = [new NewJob { Name = "shard", BatchId = batchId }] }, T0);

        using var database = _factory.OpenDatabase();
        var row = await database.ReadAsync(batchId, static (session, batchId) =>
        {
            var command = session.Command(SqliteJobSql.Batch, "@id");
            command.Set(0, batchId.Value.ToByteArray());
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            return (HasContinuation: reader.GetInt64(0), NullColumns: Enumerable.Range(2, SqliteJobRows.NewJobColumnCount).Count(reader.IsDBNull));
        }, CancellationToken.None);
        Assert.Equal(0, row.HasContinuation);
        Assert.Equal(SqliteJobRows.NewJobColumnCount, row.NullColumns);
    }

    [Fact]
    public async Task A_raw_statement_without_returned_rows_runs_once_per_step_and_reset()
    {
        using var database = _factory.OpenDatabase();

        var count = await database.WriteAsync(0, static (session, _) =>
        {
            session.Execute("CREATE TABLE raw_runs (x INTEGER)");
            var insert = session.Statement("INSERT INTO raw_runs (x) VALUES (?1)");
            for (var i = 0; i < 3; i++)
            {
                insert.Bind(1, i);
                Assert.False(insert.Step());
                insert.Reset(); // SQLite re-runs a finished statement that is stepped again: Reset must not
            }

            return (long)session.Command("SELECT count(*) FROM raw_runs").ExecuteScalar()!;
        }, CancellationToken.None);

        Assert.Equal(3, count);
    }

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span),
        (IReadOnlyList<string> x, IReadOnlyList<string> y) => x.SequenceEqual(y),
        _ => Equals(a, b),
    };
}
