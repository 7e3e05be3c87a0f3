using System.Threading.Channels;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// Collects worker reports and writes them to the store in batches (one store call for up to
/// <see cref="TaskRunnerOptions.CompletionBatchSize"/> reports), then raises the lifecycle events. Store failures are
/// retried; a report is never dropped before its lease could expire anyway.
/// </summary>
internal sealed class CompletionWriter
{
    private const int MaxTries = 8;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly RunnerServices _runner;
    private readonly Channel<Report> _reports = Channel.CreateUnbounded<Report>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public CompletionWriter(RunnerServices runner)
    {
        _runner = runner;
        _loop = Task.Run(RunAsync);
    }

    public void Write(ClaimedJob job, JobCompletion completion, TimeSpan duration) =>
        _reports.Writer.TryWrite(new Report(job, completion, duration));

    /// <summary>Stops accepting reports and waits until every accepted one is written.</summary>
    public Task DrainAsync()
    {
        _reports.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        var max = _runner.Options.CompletionBatchSize;
        var batch = new List<Report>(max);
        var completions = new List<JobCompletion>(max);
        var reader = _reports.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < max && reader.TryRead(out var report))
            {
                batch.Add(report);
                completions.Add(report.Completion);
            }

            var rejected = await WriteAsync(completions).ConfigureAwait(false);
            Published(batch, rejected);
            batch.Clear();
            completions.Clear();
        }
    }

    private async Task<IReadOnlyList<JobId>?> WriteAsync(List<JobCompletion> completions)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _runner.Store.CompleteAsync(new CompleteRequest { Completions = completions, Now = _runner.TimeProvider.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < MaxTries && ex is not OperationCanceledException)
            {
                Log.CompletionWriteFailed(_runner.Logger, completions.Count, attempt, ex);
                await Task.Delay(delay, _runner.TimeProvider).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                delay *= 2;
            }
#pragma warning disable CA1031 // Out of tries: the leases will expire and the jobs be recovered, so log and go on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.CompletionWriteAbandoned(_runner.Logger, completions.Count, ex);
                return null;
            }
        }
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
            if (rejected is null || (rejected.Count > 0 && rejected.Contains(job.Id)))
            {
                Log.LeaseLost(_runner.Logger, job.Id, job.Name);
                continue;
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

            var tag = new KeyValuePair<string, object?>("queue", job.Queue);
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
    }

    private readonly record struct Report(ClaimedJob Job, JobCompletion Completion, TimeSpan Duration);
}
