using TaskRunner.Tests.Contracts;

namespace TaskRunner.Tests.Sqlite;

public sealed class SqliteJobStoreTests : JobStoreContract<SqliteStoreFactory>;

public sealed class SqliteLockStoreTests : LockStoreContract<SqliteStoreFactory>;

public sealed class SqliteScheduleStoreTests : ScheduleStoreContract<SqliteStoreFactory>;

public sealed class SqliteMetadataStoreTests : MetadataStoreContract<SqliteStoreFactory>;

public sealed class SqliteLockProviderTests : LockProviderContract<SqliteStoreFactory>;

public sealed class SqliteEventPublishTests : TaskRunner.Tests.Events.EventPublishContract<SqliteStoreFactory>;
public sealed class SqliteNodeRegistryTests : NodeRegistryContract<SqliteStoreFactory>;
