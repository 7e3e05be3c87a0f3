using Microsoft.Extensions.Options;
using TaskRunner.Postgres;

namespace TaskRunner.Tests.Postgres;

/// <summary>The claim's round trip with and without <see cref="PostgresStoreOptions.DurableClaims"/>: the asynchronous-commit
/// setting and the queue lock each add a one-row result before the claimed rows, which the store must step over.</summary>
public sealed class PostgresClaimCommitTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly PostgresStoreFactory _factory = new();

    public Task InitializeAsync() => _factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => _factory.DisposeAsync().AsTask();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Claims_with_and_without_a_queue_limit_return_the_claimed_rows_whether_or_not_the_claim_waits_for_the_disk(bool durable)
    {
        await using var database = new PostgresDatabase(Options.Create(new PostgresStoreOptions
        {
            ConnectionString = _factory.ConnectionString, Schema = _factory.Schema, DurableClaims = durable,
        }));
        Assert.Equal(durable, database.DurableClaims);
        var store = new PostgresJobStore(database);
        var ids = (await store.EnqueueAsync([.. Enumerable.Range(0, 3).Select(i => new NewJob { Name = "n", RunAt = T0, Priority = 3 - i })], T0)).Select(r => r.Id).ToArray();

        var capped = await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = TimeSpan.FromMinutes(1), QueueLimit = 2 });
        Assert.Equal(ids[..2], capped.Select(j => j.Id));

        var rest = await store.ClaimAsync(new ClaimRequest { Queue = "default", MaxCount = 10, Owner = "w", Now = T0, LeaseDuration = TimeSpan.FromMinutes(1) });
        Assert.Equal(ids[2..], rest.Select(j => j.Id));
        Assert.Empty(await store.CompleteAsync(new CompleteRequest { Completions = [.. capped.Concat(rest).Select(j => JobCompletion.Succeeded(j.Id, j.LeaseToken))], Now = T0 }));
        Assert.Equal(3, (await store.CountAsync(null)).Succeeded);
    }
}
