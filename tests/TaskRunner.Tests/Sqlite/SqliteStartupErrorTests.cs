using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Sqlite;

/// <summary>Bad input at start (SPEC §9): each case fails with an error naming the file.</summary>
public sealed class SqliteStartupErrorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));

    public SqliteStartupErrorTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_path_below_a_regular_file_cannot_be_opened()
    {
        var file = Path.Combine(_directory, "plain.txt");
        await File.WriteAllTextAsync(file, "not a directory");
        var path = Path.Combine(file, "jobs.db");

        var error = await Assert.ThrowsAsync<JobStoreException>(() => Initialize(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task A_path_that_is_a_directory_cannot_be_opened()
    {
        var error = await Assert.ThrowsAsync<JobStoreException>(() => Initialize(_directory));

        Assert.Contains(_directory, error.Message, StringComparison.Ordinal);
        Assert.Contains("directory", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_file_that_is_not_a_sqlite_database_is_rejected()
    {
        var path = Path.Combine(_directory, "jobs.db");
        await File.WriteAllTextAsync(path, new string('x', 4096));

        var error = await Assert.ThrowsAsync<JobStoreException>(() => Initialize(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.Equal(new string('x', 4096), await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_schema_written_by_a_newer_version_is_rejected()
    {
        var path = Path.Combine(_directory, "jobs.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {SqliteSchema.CurrentVersion + 1}";
            command.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<JobStoreException>(() => Initialize(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {SqliteSchema.CurrentVersion + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_directory_is_created_and_the_schema_applied()
    {
        var path = Path.Combine(_directory, "nested", "deeper", "jobs.db");

        await Initialize(path);

        Assert.True(File.Exists(path));
        Assert.Equal(SqliteSchema.CurrentVersion, ReadUserVersion(path));
    }

    [Fact]
    public async Task Several_processes_initializing_one_file_at_once_apply_the_schema_once()
    {
        var path = Path.Combine(_directory, "jobs.db");
        var databases = Enumerable.Range(0, 4).Select(_ => Open(path)).ToList();
        try
        {
            await Task.WhenAll(databases.Select(d => Task.Run(() => d.EnsureInitializedAsync(CancellationToken.None).AsTask())))
                .WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(SqliteSchema.CurrentVersion, ReadUserVersion(path));
            var store = new SqliteJobStore(databases[0]);
            var id = Assert.Single(await store.EnqueueAsync([new NewJob { Name = "after-init" }], DateTimeOffset.UnixEpoch)).Id;
            Assert.Equal("after-init", (await new SqliteJobStore(databases[3]).GetAsync(id))!.Name);
        }
        finally
        {
            databases.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public async Task Reopening_an_initialized_file_keeps_its_jobs()
    {
        var path = Path.Combine(_directory, "jobs.db");
        JobId id;
        using (var first = Open(path))
        {
            id = (await new SqliteJobStore(first).EnqueueAsync([new NewJob { Name = "kept" }], DateTimeOffset.UnixEpoch))[0].Id;
        }

        using var second = Open(path);
        await new SqliteStoreInitializer(second).InitializeAsync(CancellationToken.None);
        Assert.Equal("kept", (await new SqliteJobStore(second).GetAsync(id))!.Name);
    }

    [Fact]
    public async Task A_read_only_file_fails_the_start_naming_the_file_and_the_rule()
    {
        var path = Path.Combine(_directory, "jobs.db");
        await Initialize(path);
        using var mounts = new LinuxMounts();
        mounts.BindReadOnly(path, path); // root ignores chmod; a read-only mount stops root too

        var error = await Assert.ThrowsAsync<JobStoreException>(() => Initialize(path));

        Assert.False(error.IsTransient);
        Assert.Contains($"'{path}' cannot be written", error.Message, StringComparison.Ordinal);
        Assert.Contains("the file is read-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writable_file_in_a_read_only_directory_fails_the_start_saying_wal_needs_the_directory()
    {
        var real = Path.Combine(_directory, "real");
        var view = Path.Combine(_directory, "view");
        Directory.CreateDirectory(view);
        await Initialize(Path.Combine(real, "jobs.db"));
        var path = Path.Combine(view, "jobs.db");
        using var mounts = new LinuxMounts();
        mounts.BindReadOnly(real, view);
        mounts.Bind(Path.Combine(real, "jobs.db"), path); // the file itself stays writable
        using (File.Open(path, FileMode.Open, FileAccess.ReadWrite))
        {
            // The file can be opened for writing; only the directory cannot take new files.
        }

        Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(view, "probe"), ""));

        var error = await Assert.ThrowsAsync<JobStoreException>(() => Initialize(path));

        Assert.False(error.IsTransient);
        Assert.Contains($"'{path}' cannot be written", error.Message, StringComparison.Ordinal);
        Assert.Contains($"directory '{view}' is read-only", error.Message, StringComparison.Ordinal);
        Assert.Contains("'jobs.db-wal' and 'jobs.db-shm'", error.Message, StringComparison.Ordinal);
    }

    private static SqliteDatabase Open(string path) => new(Options.Create(new SqliteStoreOptions { Path = path }));

    private static async Task Initialize(string path)
    {
        using var database = Open(path);
        await new SqliteStoreInitializer(database).InitializeAsync(CancellationToken.None);
    }

    private static long ReadUserVersion(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)command.ExecuteScalar()!;
    }
}
