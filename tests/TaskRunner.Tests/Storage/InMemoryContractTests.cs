using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Storage;

public sealed class InMemoryJobStoreTests : JobStoreContract<InMemoryStoreFactory>;

public sealed class InMemoryLockStoreTests : LockStoreContract<InMemoryStoreFactory>;

public sealed class InMemoryScheduleStoreContractTests : ScheduleStoreContract<InMemoryStoreFactory>;

public sealed class InMemoryMetadataStoreTests : MetadataStoreContract<InMemoryStoreFactory>;

public sealed class InMemoryLockProviderTests : LockProviderContract<InMemoryStoreFactory>;

public sealed class InMemoryEventPublishTests : TaskRunner.Tests.Events.EventPublishContract<InMemoryStoreFactory>;
public sealed class InMemoryNodeRegistryTests : NodeRegistryContract<InMemoryStoreFactory>;
