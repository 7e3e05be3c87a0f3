namespace TaskRunner.Benchmarks;

/// <summary>A SQLite file in its own temporary directory, deleted (with its WAL files) on dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-bench-" + Guid.NewGuid().ToString("N")[..8]);

    public TempDatabase()
    {
        Directory.CreateDirectory(_directory);
        FilePath = Path.Combine(_directory, "jobs.db");
    }

    public string FilePath { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left behind in the temp directory: harmless.
        }
    }
}
