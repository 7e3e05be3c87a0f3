using System.Threading.Channels;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// Collects worker reports and writes them to the store in batches (one store call for up to
/// <see cref="TaskRunnerOptions.CompletionBatchSize"/> reports), then raises the lifecycle events. A batch whose write
/// failed is retried with backoff, in halves, beside the new reports: a failing or slow report never holds up the
/// reports behind it, and their jobs stay leased (<see cref="HeldLeases"/>) until their outcome is stored. After
/// <see cref="MaxTries"/> failed writes a report is given up: its lease is no longer renewed, so it expires and another
/// worker recovers the job.
/// </summary>
/// <remarks>Not on Polly: a retry strategy repeats one call in place, so the writer would wait out each backoff holding
/// up the new reports behind it, which is what parking the failed halves beside them avoids. The backoff itself is the
/// one line in <see cref="WriteAsync"/>.</remarks>
internal sealed class CompletionWriter
{
    private const int MaxTries = 8;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly RunnerServices _runner;
    private readonly HeldLeases _leases;
    private readonly Channel<Report> _reports = Channel.CreateUnbounded<Report>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<Retry> _retries = [];
    private readonly List<JobCompletion> _completions = [];
    private readonly Task _loop;
    private int _backlog;
    private TaskCompletionSource? _written; // made by a waiter only, so a runner that never waits allocates nothing per write

    public CompletionWriter(RunnerServices runner, HeldLeases leases)
    {
        _runner = runner;
        _leases = leases;
        _loop = Task.Run(RunAsync);
    }

    public void Write(ClaimedJob job, JobCompletion completion, TimeSpan duration)
    {
        Interlocked.Increment(ref _backlog);
        _reports.Writer.TryWrite(new Report(job, completion, duration));
    }

    /// <summary>Reports accepted and not yet written (queued, being written or parked for a retry).</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    /// <summary>Completes when fewer than <paramref name="count"/> reports wait to be written: a queue that claims ahead
    /// waits here, so its claims cannot outrun the store's writes of their outcomes (reports and held leases piling up
    /// in memory). Returns <see langword="false"/> when <paramref name="cancellationToken"/> fired first.</summary>
    public async ValueTask<bool> WaitForBacklogBelowAsync(int count, CancellationToken cancellationToken)
    {
        while (Backlog >= count)
        {
            // The task first: a write that ends after the check completes it, so its decrease is never missed.
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var written = (Interlocked.CompareExchange(ref _written, created, null) ?? created).Task;
            if (Backlog < count)
            {
                return true;
            }

            try
            {
                await written.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Stops accepting reports and waits until every accepted one is written (or given up).</summary>
    public Task DrainAsync()
    {
        _reports.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        var max = _runner.Options.CompletionBatchSize;
        var batch = new List<Report>(max);
        var reader = _reports.Reader;
        Task<bool>? arrival = null;
        while (true)
        {
            if (_retries.Count == 0)
            {
                var more = arrival is null ? await reader.WaitToReadAsync().ConfigureAwait(false) : await arrival.ConfigureAwait(false);
                arrival = null;
                if (!more)
                {
                    return;
                }
            }
            else
            {
                // Wait for new reports, or until the earliest retry is due, whichever comes first.
                var wait = _retries.Min(r => r.DueAt) - _runner.TimeProvider.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    if (reader.Completion.IsCompleted)
                    {
                        await Task.Delay(wait, _runner.TimeProvider).ConfigureAwait(false);
                    }
                    else
                    {
                        arrival ??= reader.WaitToReadAsync().AsTask();
                        await Task.WhenAny(arrival, Task.Delay(wait, _runner.TimeProvider)).ConfigureAwait(false);
                        if (arrival.IsCompleted)
                        {
                            arrival = null;
                        }
                    }
                }

                await RetryDueAsync().ConfigureAwait(false);
            }

            while (batch.Count < max && reader.TryRead(out var report))
            {
                batch.Add(report);
            }

            if (batch.Count > 0)
            {
                await WriteAsync(batch, tries: 0).ConfigureAwait(false);
                batch.Clear();
            }
        }
    }

    private async Task RetryDueAsync()
    {
        var now = _runner.TimeProvider.GetUtcNow();
        for (var i = _retries.Count - 1; i >= 0; i--)
        {
            var retry = _retries[i];
            if (retry.DueAt <= now)
            {
                _retries.RemoveAt(i);
                await WriteAsync(retry.Reports, retry.Tries).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes one batch; on failure parks copies of it for a retry (in halves, so a bad report ends up alone),
    /// so the caller may reuse the list.</summary>
    private async Task WriteAsync(List<Report> batch, int tries)
    {
        IReadOnlyList<JobId>? rejected;
        _completions.Clear();
        foreach (var report in batch)
        {
            _completions.Add(report.Completion);
        }

        try
        {
            rejected = await _runner.Store.CompleteAsync(new CompleteRequest { Completions = _completions, Now = _runner.TimeProvider.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (tries + 1 < MaxTries && ex is not OperationCanceledException)
        {
            Log.CompletionWriteFailed(_runner.Logger, batch.Count, tries + 1, ex);
            var dueAt = _runner.TimeProvider.GetUtcNow() + (FirstRetryDelay * Math.Pow(2, tries));
            if (batch.Count == 1)
            {
                _retries.Add(new Retry([.. batch], tries + 1, dueAt));
            }
            else
            {
                var half = batch.Count / 2;
                _retries.Add(new Retry(batch[..half], tries + 1, dueAt));
                _retries.Add(new Retry(batch[half..], tries + 1, dueAt));
            }

            return;
        }
#pragma warning disable CA1031 // Out of tries: the leases will expire and the jobs be recovered, so log and go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CompletionWriteAbandoned(_runner.Logger, batch.Count, ex);
            rejected = null;
        }

        Published(batch, rejected);
    }

    private void Published(List<Report> batch, IReadOnlyList<JobId>? rejected)
    {
        var diagnostics = _runner.Diagnostics;
        var raise = _runner.Events.HasObservers;
        var now = _runner.TimeProvider.GetUtcNow();
        var anyBatch = false;
        DateTimeOffset? earliestRetry = null;
        foreach (var (job, completion, duration) in batch)
        {
            // Stored, rejected or given up: either way this process no longer holds the lease.
            var claimedAt = _leases.Dropped(job.Id, job.LeaseToken);
            if (rejected is null || (rejected.Count > 0 && rejected.Contains(job.Id)))
            {
                Log.LeaseLost(_runner.Logger, job.Id, job.Name);
                continue;
            }

            var tag = new KeyValuePair<string, object?>("queue", job.Queue);
            if (claimedAt is { } claimed)
            {
                diagnostics.ReportLatency.Record(_runner.TimeProvider.GetElapsedTime(claimed).TotalSeconds, tag);
            }

            anyBatch |= job.BatchId is not null;
            if (completion.Outcome == JobOutcome.Failed)
            {
                var retryAt = completion.RetryAt ?? now;
                if (earliestRetry is null || retryAt < earliestRetry)
                {
                    earliestRetry = retryAt;
                }
            }
            if (job.ConcurrencyKey is not null || completion.Outcome == JobOutcome.Released)
            {
                // The key is free again, or the job is back: a waiting job of this queue may be claimable now.
                _runner.Signals.Wake(job.Queue);
            }

            JobEventKind? kind = completion.Outcome switch
            {
                JobOutcome.Succeeded => JobEventKind.Succeeded,
                JobOutcome.Failed => JobEventKind.Failed,
                JobOutcome.DeadLettered => JobEventKind.DeadLettered,
                JobOutcome.Cancelled => JobEventKind.Cancelled,
                _ => null,
            };
            switch (kind)
            {
                case JobEventKind.Succeeded: diagnostics.Succeeded.Add(1, tag); break;
                case JobEventKind.Failed: diagnostics.Failed.Add(1, tag); break;
                case JobEventKind.DeadLettered: diagnostics.DeadLettered.Add(1, tag); break;
            }

            if (raise && kind is { } k)
            {
                _runner.Events.Raise(new JobEvent
                {
                    Kind = k, JobId = job.Id, JobName = job.Name, Queue = job.Queue, Attempt = job.Attempt, Timestamp = now,
                    Duration = duration, Error = completion.Error, RetryAt = completion.RetryAt,
                });
            }
        }

        if (earliestRetry is { } retry)
        {
            _runner.DueTimes.Notify(retry); // it may now be the earliest run-at
        }

        if (anyBatch)
        {
            _runner.Signals.WakeAll(); // a finished batch may have enqueued its continuation
        }

        _runner.Signals.NotifyJobsFinished();
        Interlocked.Add(ref _backlog, -batch.Count);
        Interlocked.Exchange(ref _written, null)?.TrySetResult();
    }

    private readonly record struct Report(ClaimedJob Job, JobCompletion Completion, TimeSpan Duration);

    private readonly record struct Retry(List<Report> Reports, int Tries, DateTimeOffset DueAt);
}
