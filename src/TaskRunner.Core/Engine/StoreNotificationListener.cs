using Microsoft.Extensions.Hosting;

namespace TaskRunner;

/// <summary>Wakes this process's pollers when a store that declares <see cref="JobStoreCapabilities.Notifications"/>
/// reports work stored by another process: the queue's poller for a queue, every poller and the scheduler when the store
/// cannot tell (a delayed job, a schedule change, a reconnection that may have missed notifications).</summary>
internal sealed class StoreNotificationListener(IJobStore store, LocalSignals signals, SchedulerWakeup scheduler) : IHostedService, IAsyncDisposable, IDisposable
{
    private IAsyncDisposable? _subscription;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (store.Capabilities.HasFlag(JobStoreCapabilities.Notifications) && store is IJobStoreNotifications notifications)
        {
            _subscription = await notifications.ListenAsync(OnWork, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _subscription, null) is { } subscription)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Subscriptions end synchronously (they only leave a list), so a container disposed synchronously can end them too.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnWork(string? queue)
    {
        if (queue is null)
        {
            signals.WakeAll();
            scheduler.Notify();
        }
        else
        {
            signals.Wake(queue);
        }
    }
}
