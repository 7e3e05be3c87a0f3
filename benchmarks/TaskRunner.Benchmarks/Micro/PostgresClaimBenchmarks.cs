using BenchmarkDotNet.Attributes;

namespace TaskRunner.Benchmarks.Micro;

/// <summary>
/// The PostgreSQL store's claim (promotion + <c>SKIP LOCKED</c> claim, one round trip) and claim + complete, over 256 jobs
/// per invocation in calls of <see cref="BatchSize"/>; reported per job, like <see cref="ClaimCompleteBenchmarks"/> for the
/// other stores. A separate class so <c>--filter *Postgres*</c> runs PostgreSQL alone (it needs <c>TASKRUNNER_POSTGRES</c>).
/// The queue is topped up before each iteration, outside the timing; claimed-only jobs are completed there too.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(16)]
public class PostgresClaimBenchmarks
{
    private const int JobsPerInvoke = 256;
    private const int InvocationsPerIteration = 16;
    private readonly List<JobCompletion> _completions = new(JobsPerInvoke);
    private readonly List<ClaimedJob> _claimedOnly = [];
    private PostgresStores _stores = null!;
    private NewJob[] _refill = null!;
    private long _pending;

    // No batch of 1 (ClaimCompleteBenchmarks has it for the other stores): on a commit-bound server 4,096 single-job
    // claims and completions per iteration take minutes; store-level single-job costs are claim-probe --batch 1.
    [Params(32, 256)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stores = new PostgresStores();
        _refill = Stores.NewJobs(1000);
    }

    [GlobalCleanup]
    public void Cleanup() => _stores.Dispose();

    [IterationSetup]
    public void TopUp()
    {
        if (_claimedOnly.Count > 0)
        {
            // Keeps the running set small, as an engine's would be.
            _stores.Jobs.CompleteAsync(new CompleteRequest
            {
                Completions = [.. _claimedOnly.Select(j => JobCompletion.Succeeded(j.Id, j.LeaseToken))], Now = DateTimeOffset.UtcNow,
            }).AsTask().GetAwaiter().GetResult();
            _claimedOnly.Clear();
        }

        while (_pending < JobsPerInvoke * InvocationsPerIteration)
        {
            _stores.Jobs.EnqueueAsync(_refill, DateTimeOffset.UtcNow).AsTask().GetAwaiter().GetResult();
            _pending += _refill.Length;
        }
    }

    [Benchmark(OperationsPerInvoke = JobsPerInvoke)]
    public async Task ClaimPerJob()
    {
        for (var done = 0; done < JobsPerInvoke; done += BatchSize)
        {
            var claimed = await _stores.Jobs.ClaimAsync(Request()).ConfigureAwait(false);
            _claimedOnly.AddRange(claimed);
            _pending -= claimed.Count;
        }
    }

    [Benchmark(OperationsPerInvoke = JobsPerInvoke)]
    public async Task ClaimCompletePerJob()
    {
        for (var done = 0; done < JobsPerInvoke; done += BatchSize)
        {
            var claimed = await _stores.Jobs.ClaimAsync(Request()).ConfigureAwait(false);
            _completions.Clear();
            foreach (var job in claimed)
            {
                _completions.Add(JobCompletion.Succeeded(job.Id, job.LeaseToken));
            }

            await _stores.Jobs.CompleteAsync(new CompleteRequest { Completions = _completions, Now = DateTimeOffset.UtcNow }).ConfigureAwait(false);
            _pending -= claimed.Count;
        }
    }

    private ClaimRequest Request() => new()
    {
        Queue = "default", MaxCount = BatchSize, Owner = "bench", Now = DateTimeOffset.UtcNow, LeaseDuration = TimeSpan.FromMinutes(5),
    };
}
