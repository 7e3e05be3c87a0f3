using System.Text.Json;

namespace TaskRunner;

/// <summary>
/// One worker slot, and the <see cref="JobContext"/> of the job it runs. Reused from job to job so the hot path allocates
/// nothing for it: handlers must not keep the context after their execution ends.
/// </summary>
internal sealed class WorkerContext(RunnerServices runner) : JobContext, IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _cancellation = new();
    private ITimer? _timeout;
    private ClaimedJob? _job;
    private IServiceProvider? _services;
    private Dictionary<string, object?>? _items;

    /// <summary>The job running in this slot, if any.</summary>
    public ClaimedJob? Current
    {
        get
        {
            lock (_gate)
            {
                return _job;
            }
        }
    }

    /// <summary>Why the runner fired the token; <see cref="CancelReason.None"/> when it was the timeout or nothing.</summary>
    public CancelReason Reason { get; private set; }

    /// <summary>The serialized result set by the handler.</summary>
    public ReadOnlyMemory<byte>? Result { get; private set; }

    public override JobId JobId => Job.Id;

    public override string JobName => Job.Name;

    public override string Queue => Job.Queue;

    public override int Attempt => Job.Attempt;

    public override int MaxAttempts => Job.MaxAttempts;

    public override IReadOnlyList<string> Tags => Job.Tags;

    public override BatchId? BatchId => Job.BatchId;

    public override long LeaseToken => Job.LeaseToken;

    public override DateTimeOffset? OccurrenceAt => Job.OccurrenceAt;

    public override BatchId? ContinuationOf => Job.ContinuationOf;

    public override IServiceProvider Services => _services ?? throw new InvalidOperationException("No job is running in this context.");

    public override CancellationToken CancellationToken => _cancellation.Token;

    public override IDictionary<string, object?> Items => _items ??= [];

    private ClaimedJob Job => _job ?? throw new InvalidOperationException("No job is running in this context.");

    public void Begin(ClaimedJob job, IServiceProvider services)
    {
        lock (_gate)
        {
            _job = job;
            _services = services;
            Reason = CancelReason.None;
            Result = null;
            _items?.Clear();
            if (job.Timeout is { } timeout)
            {
                // A timer of the injected clock, so tests move it; fires with Reason None, which means "timed out".
                _timeout = runner.TimeProvider.CreateTimer(static s => ((CancellationTokenSource)s!).CancelAsync(), _cancellation, timeout, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void End()
    {
        lock (_gate)
        {
            _job = null;
            _services = null;
            _timeout?.Dispose();
            _timeout = null;
            if (!_cancellation.TryReset())
            {
                _cancellation.Dispose();
                _cancellation = new CancellationTokenSource();
            }
        }
    }

    /// <summary>Fires the token of <paramref name="id"/> if it is still the job in this slot.</summary>
    public bool TryCancel(JobId id, CancelReason reason)
    {
        lock (_gate)
        {
            if (_job is null || _job.Id != id || _cancellation.IsCancellationRequested)
            {
                return false;
            }

            Reason = reason;

            // Callbacks run on the thread pool, not inline under this lock (a handler's continuation could run here).
            _ = _cancellation.CancelAsync();
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timeout?.Dispose();
            _cancellation.Dispose();
        }
    }

    public override async ValueTask ReportProgressAsync(int percent, string? message = null)
    {
        JobProgress.ThrowIfOutOfRange(percent);
        var job = Job;
        var now = runner.TimeProvider.GetUtcNow();
        var held = await runner.Store.ReportProgressAsync(new ProgressRequest { Lease = new JobLease(job.Id, job.LeaseToken), Percent = percent, Message = message, Now = now }, CancellationToken).ConfigureAwait(false);
        if (!held)
        {
            TryCancel(job.Id, CancelReason.LeaseLost);
            return;
        }

        if (runner.Events.HasObservers)
        {
            runner.Events.Raise(new JobEvent
            {
                Kind = JobEventKind.Progress, JobId = job.Id, JobName = job.Name, Queue = job.Queue, Attempt = job.Attempt,
                Timestamp = now, ProgressPercent = percent, Message = message,
            });
        }
    }

    public override void SetResult<TResult>(TResult result) =>
        Result = JsonSerializer.SerializeToUtf8Bytes(result, runner.Options.JsonSerializerOptions);
}
