using BenchmarkDotNet.Attributes;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>
/// Store-level claim + complete of 256 jobs per invocation, in claims of <see cref="BatchSize"/> each followed by one
/// completion call for the claimed jobs; reported per job. The queue is topped up before each iteration, outside the timing.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(64)]
public class ClaimCompleteBenchmarks
{
    private const int JobsPerInvoke = 256;
    private const int InvocationsPerIteration = 64;
    private Stores _stores = null!;
    private NewJob[] _refill = null!;
    private long _pending;
    private readonly List<JobCompletion> _completions = new(JobsPerInvoke);

    [Params(Backend.Memory, Backend.Sqlite)]
    public Backend Backend { get; set; }

    [Params(1, 32, 256)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stores = new Stores(Backend);
        _refill = Stores.NewJobs(1000);
    }

    [GlobalCleanup]
    public void Cleanup() => _stores.Dispose();

    [IterationSetup]
    public void TopUp()
    {
        while (_pending < JobsPerInvoke * InvocationsPerIteration)
        {
            _stores.Jobs.EnqueueAsync(_refill, DateTimeOffset.UtcNow).AsTask().GetAwaiter().GetResult();
            _pending += _refill.Length;
        }
    }

    [Benchmark(OperationsPerInvoke = JobsPerInvoke)]
    public async Task ClaimCompletePerJob()
    {
        for (var done = 0; done < JobsPerInvoke; done += BatchSize)
        {
            var now = DateTimeOffset.UtcNow;
            var claimed = await _stores.Jobs.ClaimAsync(new ClaimRequest
            {
                Queue = "default", MaxCount = BatchSize, Owner = "bench", Now = now, LeaseDuration = TimeSpan.FromSeconds(30),
            }).ConfigureAwait(false);
            _completions.Clear();
            foreach (var job in claimed)
            {
                _completions.Add(JobCompletion.Succeeded(job.Id, job.LeaseToken));
            }

            await _stores.Jobs.CompleteAsync(new CompleteRequest { Completions = _completions, Now = now }).ConfigureAwait(false);
            _pending -= claimed.Count;
        }
    }
}
