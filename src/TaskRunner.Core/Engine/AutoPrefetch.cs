namespace TaskRunner;

/// <summary>
/// The automatic prefetch of a queue on a store that claims ahead (<see cref="JobStoreCapabilities.ClaimAhead"/>): as
/// many jobs as the queue's workers get through while one claim is in flight (Little's law: workers × claim time ÷ time a
/// job holds a worker, rounded down), at most the queue's batch size. Short jobs on a server a few milliseconds away are then claimed
/// in batches of hundreds, one round trip and one commit each, while jobs that take longer than a claim are not
/// prefetched at all, so they never wait in this process while another one has free workers.
/// </summary>
/// <remarks>Workers add their busy time from many threads; the poll loop alone reads it, once per claim, and keeps a
/// moving average of both times, so one slow claim or job moves the prefetch a quarter of the way. Times come from the
/// runner's <see cref="TimeProvider"/>: on a fake clock that does not move they are zero and the prefetch stays 0.</remarks>
internal sealed class AutoPrefetch
{
    private const double Weight = 0.25;

    private readonly int _workers;
    private readonly int _max;
    private long _busyTicks;
    private long _jobs;
    private long _seenBusyTicks;
    private long _seenJobs;
    private double _claimTicks;
    private double _jobTicks;

    public AutoPrefetch(int workers, int max)
    {
        _workers = workers;
        _max = max;
    }

    /// <summary>The jobs to claim beyond the free worker slots now: 0 until both a claim and a job have been timed.</summary>
    public int Prefetch { get; private set; }

    /// <summary>A worker finished with a job after holding it for <paramref name="elapsed"/> (any thread).</summary>
    public void JobDone(TimeSpan elapsed)
    {
        Interlocked.Add(ref _busyTicks, elapsed.Ticks);
        Interlocked.Increment(ref _jobs);
    }

    /// <summary>A claim call took <paramref name="elapsed"/> (the poll loop's thread only); updates <see cref="Prefetch"/>.</summary>
    public void Claimed(TimeSpan elapsed)
    {
        _claimTicks = Average(_claimTicks, elapsed.Ticks);
        var jobs = Volatile.Read(ref _jobs);
        var busy = Volatile.Read(ref _busyTicks);
        if (jobs > _seenJobs)
        {
            _jobTicks = Average(_jobTicks, (double)(busy - _seenBusyTicks) / (jobs - _seenJobs));
            _seenJobs = jobs;
            _seenBusyTicks = busy;
        }

        Prefetch = _claimTicks <= 0 || _jobTicks <= 0 ? 0 : (int)Math.Min(_max, Math.Floor(_workers * _claimTicks / _jobTicks));
    }

    private static double Average(double average, double sample) => average <= 0 ? sample : average + (Weight * (sample - average));
}
