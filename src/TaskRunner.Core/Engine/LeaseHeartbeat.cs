using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>
/// The heartbeat loop: at every <see cref="TaskRunnerOptions.HeartbeatInterval"/> it renews every lease this process
/// holds (<see cref="HeldLeases"/>), and cancels the running jobs whose lease was lost or whose cancellation was requested.
/// </summary>
internal sealed class LeaseHeartbeat(RunnerServices runner, HeldLeases leases, IReadOnlyList<QueueProcessor> queues)
{
    /// <summary>Runs until <paramref name="stop"/> fires; owns <paramref name="timer"/>.</summary>
    public async Task RunAsync(PeriodicTimer timer, CancellationToken stop)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                // Off the timer's thread: store calls must not run inside the clock's timer callback.
                await Task.Yield();
                try
                {
                    // Every held lease, not only the running jobs': a prefetched job and a report waiting to be stored
                    // stay leased too, or another process recovers the job and runs it again.
                    var result = await leases.RenewAllAsync(stop).ConfigureAwait(false);
                    if (result.Lost.Count > 0 || result.CancellationRequested.Count > 0)
                    {
                        CancelRunning(result);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.HeartbeatFailed(runner.Logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void CancelRunning(HeartbeatResult result)
    {
        foreach (var worker in queues.SelectMany(q => q.Workers))
        {
            if (worker.Current is not { } job)
            {
                continue;
            }

            if (result.Lost.Contains(job.Id))
            {
                worker.TryCancel(job.Id, CancelReason.LeaseLost);
            }
            else if (result.CancellationRequested.Contains(job.Id))
            {
                worker.TryCancel(job.Id, CancelReason.CancellationRequested);
            }
        }
    }
}
