using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary><see cref="JobOptions.DebounceMaxDelay"/> through the job client.</summary>
public sealed class DebounceOptionTests
{
    [Fact]
    public async Task A_debounced_enqueue_moves_the_waiting_job_and_shares_its_key_as_concurrency_key()
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());
        var options = new JobOptions { UniqueKey = "path:a", Delay = TimeSpan.FromSeconds(10), DebounceMaxDelay = TimeSpan.FromSeconds(60) };

        var first = await host.Client.EnqueueAsync(new Work("a"), options);
        host.Time.Advance(TimeSpan.FromSeconds(4));
        var second = await host.Client.EnqueueAsync(new Work("a"), options);

        Assert.Equal(first, second);
        var record = (await host.Client.GetAsync(first))!;
        Assert.Equal(host.Time.GetUtcNow() + TimeSpan.FromSeconds(10), record.RunAt);
        Assert.Equal("path:a", record.ConcurrencyKey); // so a job queued behind a running one never overlaps it
    }

    [Theory]
    [InlineData(null, 10)]       // nothing to debounce on
    [InlineData("key", 0)]       // not positive
    [InlineData("key", -5)]
    public async Task A_debounce_without_a_unique_key_or_with_a_non_positive_delay_is_refused(string? uniqueKey, int seconds)
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await host.Client.EnqueueAsync(new Work("a"), new JobOptions { UniqueKey = uniqueKey, DebounceMaxDelay = TimeSpan.FromSeconds(seconds) }));

        Assert.Contains("DebounceMaxDelay of job 'work'", error.Message, StringComparison.Ordinal);
        Assert.Contains("needs a UniqueKey", error.Message, StringComparison.Ordinal);
    }
}
