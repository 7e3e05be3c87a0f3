using System.Text;
using Microsoft.Data.Sqlite;

namespace TaskRunner.Tests.Sqlite;

/// <summary>jobs_view shows a person the times the jobs table keeps as .NET ticks: ISO-8601 text, read and queried through a
/// plain SQLite connection, while the table's columns stay integers.</summary>
public sealed class SqliteJobsViewTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Created = new(2026, 3, 1, 9, 30, 0, 123, TimeSpan.Zero);
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task The_view_shows_iso_8601_times_state_names_and_json_while_the_columns_stay_ticks()
    {
        var store = _factory.JobStore;
        var batch = new BatchId(Guid.Parse("0192f0c4-7a3b-7c1d-8e9f-0123456789ab"));
        var id = (await store.CreateBatchAsync(
            new NewBatch
            {
                Id = batch,
                Jobs = [new NewJob { Name = "send", RunAt = Created.AddMinutes(5), BatchId = batch, Timeout = TimeSpan.FromSeconds(90), Payload = Encoding.UTF8.GetBytes("""{"to":"a@b.c"}""") }],
            },
            Created))[0].Id;

        using var connection = Open();
        using (var row = Read(connection, "SELECT created_at, run_at, state, finished_at, timeout_seconds, batch_id, payload FROM jobs_view WHERE id = $id", id.Value))
        {
            Assert.True(row.Read());
            Assert.Equal("2026-03-01T09:30:00.123Z", row.GetString(0));
            Assert.Equal("2026-03-01T09:35:00.123Z", row.GetString(1));
            Assert.Equal("Scheduled", row.GetString(2));
            Assert.True(row.IsDBNull(3));
            Assert.Equal(90.0, row.GetDouble(4));
            Assert.Equal(batch.ToString(), row.GetString(5));
            Assert.Equal("""{"to":"a@b.c"}""", row.GetString(6));
        }

        // Times compare as text, so a person filters by date in the shell.
        Assert.Equal(1L, Scalar(connection, "SELECT count(*) FROM jobs_view WHERE created_at >= '2026-03-01' AND created_at < '2026-03-01T09:31'"));
        Assert.Equal(0L, Scalar(connection, "SELECT count(*) FROM jobs_view WHERE created_at < '2026-03-01T09:30:00.123Z'"));

        // The hot columns are untouched: still integer ticks.
        Assert.Equal("integer", Scalar(connection, "SELECT typeof(created_at) FROM jobs"));
        Assert.Equal(Created.UtcTicks, Scalar(connection, "SELECT created_at FROM jobs"));
    }

    [Fact]
    public async Task Finished_and_started_times_and_every_state_name_read_back()
    {
        var store = _factory.JobStore;
        var finishedAt = new DateTimeOffset(2029, 12, 31, 23, 59, 59, 999, TimeSpan.Zero);
        var id = (await store.EnqueueAsync([new NewJob { Name = "a", RunAt = Created }], Created))[0].Id;
        var claimed = Assert.Single(await store.ClaimAsync(new ClaimRequest { Queue = JobOptions.DefaultQueue, MaxCount = 1, Owner = "w", Now = finishedAt, LeaseDuration = TimeSpan.FromMinutes(1) }));
        await store.CompleteAsync(new CompleteRequest { Completions = [JobCompletion.Succeeded(id, claimed.LeaseToken)], Now = finishedAt });

        using var connection = Open();
        Assert.Equal("2029-12-31T23:59:59.999Z", Scalar(connection, $"SELECT finished_at FROM jobs_view WHERE id = {id.Value}"));
        Assert.Equal("2029-12-31T23:59:59.999Z", Scalar(connection, $"SELECT first_started_at FROM jobs_view WHERE id = {id.Value}"));
        Assert.Equal("Succeeded", Scalar(connection, $"SELECT state FROM jobs_view WHERE id = {id.Value}"));
        Assert.Equal(DBNull.Value, Scalar(connection, $"SELECT batch_id FROM jobs_view WHERE id = {id.Value}")); // no batch: NULL, not ''
        Assert.Equal(DBNull.Value, Scalar(connection, $"SELECT lease_expires_at FROM jobs_view WHERE id = {id.Value}"));
        foreach (var state in Enum.GetValues<JobState>())
        {
            // Each number the table may hold maps to the enum's name.
            Assert.Equal(state.ToString(), Scalar(connection,
                $"SELECT CASE {(int)state} WHEN 0 THEN 'Scheduled' WHEN 1 THEN 'Pending' WHEN 2 THEN 'Running' WHEN 3 THEN 'Succeeded' WHEN 4 THEN 'Failed' WHEN 5 THEN 'DeadLettered' WHEN 6 THEN 'Cancelled' END"));
        }

        Assert.Contains("WHEN 6 THEN 'Cancelled'", (string)Scalar(connection, "SELECT sql FROM sqlite_master WHERE name = 'jobs_view'")!, StringComparison.Ordinal);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={_factory.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    private static SqliteDataReader Read(SqliteConnection connection, string sql, long id)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteReader();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
