using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Mongo;

// Every contract suite over MongoDB: run when TASKRUNNER_MONGO_URI is set, reported as skipped (with the reason) when not.

public sealed class MongoJobStoreTests : JobStoreContract<MongoStoreFactory>;

public sealed class MongoLockStoreTests : LockStoreContract<MongoStoreFactory>;

public sealed class MongoScheduleStoreTests : ScheduleStoreContract<MongoStoreFactory>;

public sealed class MongoMetadataStoreTests : MetadataStoreContract<MongoStoreFactory>;

public sealed class MongoLockProviderTests : LockProviderContract<MongoStoreFactory>;

public sealed class MongoNodeRegistryTests : NodeRegistryContract<MongoStoreFactory>;

public sealed class MongoEventPublishTests : TaskRunner.Tests.Events.EventPublishContract<MongoStoreFactory>;
