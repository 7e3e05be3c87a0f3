using BenchmarkDotNet.Attributes;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>Store-level enqueue: one job per call, and 100 per call (reported per job).</summary>
[MemoryDiagnoser]
public class EnqueueBenchmarks
{
    private const int Batch = 100;
    private Stores _stores = null!;
    private NewJob[] _one = null!;
    private NewJob[] _batch = null!;

    [Params(Backend.Memory, Backend.Sqlite)]
    public Backend Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stores = new Stores(Backend);
        _one = Stores.NewJobs(1);
        _batch = Stores.NewJobs(Batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _stores.Dispose();

    [Benchmark]
    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueOne() => _stores.Jobs.EnqueueAsync(_one, DateTimeOffset.UtcNow);

    [Benchmark(OperationsPerInvoke = Batch)]
    public ValueTask<IReadOnlyList<EnqueueResult>> EnqueueBatchPerJob() => _stores.Jobs.EnqueueAsync(_batch, DateTimeOffset.UtcNow);
}
