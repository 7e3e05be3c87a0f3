using BenchmarkDotNet.Attributes;
using TaskRunner.Locks;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>Acquire + release of an uncontended lock: through the public <see cref="IDistributedLockProvider"/> (what a
/// user calls) and directly on the <see cref="ILockStore"/>, on each backend (PostgreSQL: two commits; only when
/// <c>TASKRUNNER_POSTGRES</c> names a server, so the class runs anywhere).</summary>
[MemoryDiagnoser]
public class LockBenchmarks
{
    private static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(30);
    private Stores _stores = null!;
    private IDistributedLockProvider _provider = null!;

    [ParamsSource(nameof(Backends))]
    public Backend Backend { get; set; }

    /// <summary>Memory and SQLite always; PostgreSQL when <c>TASKRUNNER_POSTGRES</c> is set.</summary>
    public static IEnumerable<Backend> Backends =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TempSchema.Variable))
            ? [Backend.Memory, Backend.Sqlite]
            : [Backend.Memory, Backend.Sqlite, Backend.Postgres];

    [GlobalSetup]
    public void Setup()
    {
        _stores = new Stores(Backend);
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
