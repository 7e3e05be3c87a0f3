using TaskRunner.Extraction;
using TaskRunner.Locks;
using TaskRunner.Storage;
using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Storage;

/// <summary>The in-memory stores. They live in one process, so a "second process" shares the same instances.</summary>
public sealed class InMemoryStoreFactory : IStoreFactory
{
    public IJobStore JobStore { get; } = new InMemoryJobStore();

    public ILockStore LockStore { get; } = new InMemoryLockStore();

    public IScheduleStore ScheduleStore { get; } = new InMemoryScheduleStore();

    public IMetadataStore MetadataStore { get; } = new InMemoryMetadataStore();

    public INodeRegistry NodeRegistry => field ??= new InMemoryNodeRegistry(JobStore);

    public ValueTask InitializeAsync() => default;

    public IJobStore OpenSharedJobStore() => JobStore;

    public ILockStore OpenSharedLockStore() => LockStore;

    public ValueTask DisposeAsync() => default;
}
