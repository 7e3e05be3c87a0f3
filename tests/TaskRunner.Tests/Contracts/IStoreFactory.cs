using TaskRunner.Extraction;

namespace TaskRunner.Tests.Contracts;

/// <summary>
/// Creates one backend's stores over fresh, isolated storage for one test. Each backend implements it once and
/// subclasses every contract suite in one line, e.g.
/// <c>public sealed class SqliteJobStoreTests : JobStoreContract&lt;SqliteStoreFactory&gt;;</c>.
/// A new instance is made per test (xunit makes a new test class instance per test).
/// </summary>
public interface IStoreFactory : IAsyncDisposable
{
    /// <summary>Creates the storage (a temp file, a fresh collection...) and the stores; called once before the test.</summary>
    ValueTask InitializeAsync();

    /// <summary>The job store.</summary>
    IJobStore JobStore { get; }

    /// <summary>The lock store.</summary>
    ILockStore LockStore { get; }

    /// <summary>The schedule store.</summary>
    IScheduleStore ScheduleStore { get; }

    /// <summary>The metadata store.</summary>
    IMetadataStore MetadataStore { get; }

    /// <summary>The node registry (worker processes and the pending work they serve).</summary>
    INodeRegistry NodeRegistry { get; }

    /// <summary>Another job store over the same storage, as a second process would open it (its own connections).
    /// A backend that cannot be shared returns <see cref="JobStore"/>.</summary>
    IJobStore OpenSharedJobStore();

    /// <summary>Another lock store over the same storage, as a second process would open it.
    /// A backend that cannot be shared returns <see cref="LockStore"/>.</summary>
    ILockStore OpenSharedLockStore();
}
