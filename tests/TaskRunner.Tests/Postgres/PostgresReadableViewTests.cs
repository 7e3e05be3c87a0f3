using Npgsql;

namespace TaskRunner.Tests.Postgres;

/// <summary>The <c>jobs_readable</c> view (migration 3): what a person sees in psql instead of ticks and state numbers.</summary>
public sealed class PostgresReadableViewTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly PostgresStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Fact]
    public async Task Shows_times_as_timestamptz_the_timeout_as_an_interval_and_the_state_by_name()
    {
        var store = _factory.JobStore;
        var runAt = T0.AddMinutes(5).AddTicks(1234560); // sub-millisecond part: microseconds survive, the last 100 ns digit need not
        var id = (await store.EnqueueAsync([new NewJob { Name = "n", RunAt = runAt, Timeout = TimeSpan.FromSeconds(90), MaxAttempts = 3 }], T0))[0].Id;

        await using var connection = new NpgsqlConnection(_factory.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"SELECT state, run_at, created_at, timeout, finished_at FROM \"{_factory.Schema}\".jobs_readable WHERE id = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = id.Value } },
        };
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("Scheduled", reader.GetString(0));
        Assert.Equal(runAt.UtcDateTime.AddTicks(-(runAt.UtcTicks % 10)), reader.GetFieldValue<DateTime>(1));
        Assert.Equal(T0.UtcDateTime, reader.GetFieldValue<DateTime>(2));
        Assert.Equal(TimeSpan.FromSeconds(90), reader.GetFieldValue<TimeSpan>(3));
        Assert.True(reader.IsDBNull(4));
    }
}
