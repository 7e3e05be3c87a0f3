using Polly;
using Polly.CircuitBreaker;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// The maintenance loop, at every <see cref="TaskRunnerOptions.StaleLeaseCheckInterval"/>: recovers the jobs of crashed
/// workers (expired leases), counts each queue's depth, and purges finished jobs past their retention at most once per
/// <see cref="TaskRunnerOptions.RetentionCheckInterval"/>. Its store calls go through the circuit breaker: while it is
/// open a step is skipped, not failed.
/// </summary>
internal sealed class JobMaintenance(RunnerServices runner, ResiliencePipeline pipeline, IReadOnlyList<QueueProcessor> queues)
{
    private const int RecoveryBatch = 1000;

    /// <summary>Jobs recovered at the last stale-lease check.</summary>
    public int StaleLeasesRecovered { get; private set; }

    /// <summary>Runs until <paramref name="stop"/> fires; owns <paramref name="timer"/>.</summary>
    public async Task RunAsync(PeriodicTimer timer, CancellationToken stop)
    {
        using var owned = timer;
        var nextPurge = runner.TimeProvider.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                await Task.Yield();
                await RecoverAsync(stop).ConfigureAwait(false);
                await CountQueuesAsync(stop).ConfigureAwait(false);
                if (runner.TimeProvider.GetUtcNow() >= nextPurge)
                {
                    await PurgeAsync(stop).ConfigureAwait(false);
                    nextPurge = runner.TimeProvider.GetUtcNow() + runner.Options.RetentionCheckInterval;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Hands expired leases back (or dead-letters them at their last attempt) and wakes the pollers if any were.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await pipeline.ExecuteAsync(
                static (state, ct) => state.Store.RecoverExpiredLeasesAsync(state.Now, RecoveryBatch, ct),
                (runner.Store, Now: runner.TimeProvider.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
            StaleLeasesRecovered = result.Requeued + result.DeadLettered;
            if (result.Requeued + result.DeadLettered > 0)
            {
                Log.LeasesRecovered(runner.Logger, result.Requeued, result.DeadLettered);
                runner.Diagnostics.LeasesRecovered.Add(result.Requeued, new KeyValuePair<string, object?>("outcome", "requeued"));
                runner.Diagnostics.LeasesRecovered.Add(result.DeadLettered, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
                runner.Signals.WakeAll();
            }
        }
        catch (BrokenCircuitException)
        {
            Log.MaintenanceSkipped(runner.Logger, "stale lease recovery");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MaintenanceFailed(runner.Logger, "stale lease recovery", ex);
        }
    }

    /// <summary>Refreshes each queue's depth: a count is too dear for every poll, cheap enough once per maintenance tick.</summary>
    private async Task CountQueuesAsync(CancellationToken cancellationToken)
    {
        foreach (var queue in queues)
        {
            try
            {
                var counts = await pipeline.ExecuteAsync(
                    static (state, ct) => state.Store.CountAsync(state.Name, ct), (runner.Store, queue.Name), cancellationToken).ConfigureAwait(false);
                queue.LastQueueDepth = counts.Pending;
            }
            catch (BrokenCircuitException)
            {
                Log.MaintenanceSkipped(runner.Logger, "queue depth count");
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.MaintenanceFailed(runner.Logger, "queue depth count", ex);
            }
        }
    }

    private async Task PurgeAsync(CancellationToken cancellationToken)
    {
        var now = runner.TimeProvider.GetUtcNow();
        var options = runner.Options;
        (JobState State, TimeSpan? Retention)[] rules =
        [
            (JobState.Succeeded, options.FinishedJobRetention),
            (JobState.Cancelled, options.FinishedJobRetention),
            (JobState.DeadLettered, options.DeadLetterRetention),
        ];
        foreach (var (state, retention) in rules)
        {
            if (retention is not { } keep)
            {
                continue;
            }

            try
            {
                var purged = await pipeline.ExecuteAsync(
                    static (args, ct) => args.Store.PurgeAsync(args.Request, ct),
                    (runner.Store, Request: new PurgeRequest { State = state, FinishedBefore = now - keep }),
                    cancellationToken).ConfigureAwait(false);
                if (purged > 0)
                {
                    Log.Purged(runner.Logger, purged, state);
                }
            }
            catch (BrokenCircuitException)
            {
                Log.MaintenanceSkipped(runner.Logger, "retention purge");
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.MaintenanceFailed(runner.Logger, "retention purge", ex);
            }
        }
    }
}
