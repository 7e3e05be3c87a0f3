using BenchmarkDotNet.Attributes;
using TaskRunner.Locks;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>Acquire + release of an uncontended lock on PostgreSQL (two commits), through the public
/// <see cref="IDistributedLockProvider"/> and directly on the <see cref="ILockStore"/>, like <see cref="LockBenchmarks"/>
/// for the other stores; a class of its own so <c>--filter *Postgres*</c> selects it.</summary>
[MemoryDiagnoser]
public class PostgresLockBenchmarks
{
    private static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(30);
    private PostgresStores _stores = null!;
    private IDistributedLockProvider _provider = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stores = new PostgresStores();
        _provider = new DistributedLockProvider(_stores.Locks, TimeProvider.System, new NodeIdentity("bench"));
    }

    [GlobalCleanup]
    public void Cleanup() => _stores.Dispose();

    [Benchmark]
    public async Task ProviderAcquireRelease()
    {
        var held = await _provider.TryAcquireAsync("bench-lock", TimeToLive).ConfigureAwait(false);
        await held!.ReleaseAsync().ConfigureAwait(false);
    }

    [Benchmark]
    public async Task StoreAcquireRelease()
    {
        var now = DateTimeOffset.UtcNow;
        var lease = await _stores.Locks.TryAcquireAsync("bench-lock", "bench", now, now + TimeToLive).ConfigureAwait(false);
        await _stores.Locks.ReleaseAsync("bench-lock", lease!.Value.FencingToken).ConfigureAwait(false);
    }
}
