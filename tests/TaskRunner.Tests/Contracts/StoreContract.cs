namespace TaskRunner.Tests.Contracts;

/// <summary>The common base of the contract suites: a fresh factory (and so fresh storage) per test.</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract class StoreContract<TFactory> : IAsyncLifetime
    where TFactory : IStoreFactory, new()
{
    /// <summary>A fixed instant the tests move explicitly (store calls take <c>now</c>; no store reads a clock).</summary>
    protected static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    protected TFactory Factory { get; } = new();

    public Task InitializeAsync() => Factory.InitializeAsync().AsTask();

    public Task DisposeAsync() => Factory.DisposeAsync().AsTask();
}
