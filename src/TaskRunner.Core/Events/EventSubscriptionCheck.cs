using Microsoft.Extensions.Hosting;

namespace TaskRunner;

/// <summary>Builds the <see cref="EventRegistry"/> when the host starts, so a subscription to an unknown job or a clash of
/// target names fails the start, naming them, rather than the first publish.</summary>
internal sealed class EventSubscriptionCheck(EventRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(registry);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
