using Microsoft.Extensions.Hosting;

namespace TaskRunner;

/// <summary>Prepares the store (every <see cref="IStoreInitializer"/>) when the host starts, in every process that uses
/// TaskRunner, client-only ones included: a web app that only enqueues must find the schema in place and fail its start
/// on a bad connection. Initializers are idempotent, so the worker's own start calling them again is harmless.</summary>
internal sealed class StoreInitialization(IEnumerable<IStoreInitializer> initializers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var initializer in initializers)
        {
            await initializer.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
