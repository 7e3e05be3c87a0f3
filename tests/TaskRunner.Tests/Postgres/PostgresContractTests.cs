using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Postgres;

public sealed class PostgresJobStoreTests : JobStoreContract<PostgresStoreFactory>;

public sealed class PostgresLockStoreTests : LockStoreContract<PostgresStoreFactory>;

public sealed class PostgresScheduleStoreTests : ScheduleStoreContract<PostgresStoreFactory>;

public sealed class PostgresMetadataStoreTests : MetadataStoreContract<PostgresStoreFactory>;

public sealed class PostgresLockProviderTests : LockProviderContract<PostgresStoreFactory>;

public sealed class PostgresEventPublishTests : TaskRunner.Tests.Events.EventPublishContract<PostgresStoreFactory>;
public sealed class PostgresNodeRegistryTests : NodeRegistryContract<PostgresStoreFactory>;
