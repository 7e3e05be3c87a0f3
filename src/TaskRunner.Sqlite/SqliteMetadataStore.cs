using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using TaskRunner.Extraction;

namespace TaskRunner.Sqlite;

/// <summary>Extracted metadata in the <c>file_metadata</c> table, one row per path.</summary>
internal sealed class SqliteMetadataStore : IMetadataStore
{
    private const string Columns = "path, size, last_write, content_hash, metadata, extracted_at, error_type, error_message, error_stack";

    private const string UpsertSql =
        "INSERT INTO file_metadata (" + Columns + ") VALUES (@path, @size, @last_write, @content_hash, @metadata, @extracted_at, @error_type, @error_message, @error_stack) " +
        "ON CONFLICT (path) DO UPDATE SET size = excluded.size, last_write = excluded.last_write, content_hash = excluded.content_hash, " +
        "metadata = excluded.metadata, extracted_at = excluded.extracted_at, error_type = excluded.error_type, " +
        "error_message = excluded.error_message, error_stack = excluded.error_stack";

    private const string GetSql = "SELECT " + Columns + " FROM file_metadata WHERE path = @path";

    private const string PageSql = "SELECT " + Columns + " FROM file_metadata WHERE path > @after ORDER BY path LIMIT @limit";

    private const string RemoveSql = "DELETE FROM file_metadata WHERE path = @path";

    // Paging keeps a read connection for one page at a time rather than for the whole enumeration.
    private const int PageSize = 500;

    private readonly SqliteDatabase _database;

    public SqliteMetadataStore(SqliteDatabase database) => _database = database;

    public ValueTask<FileMetadata?> GetAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _database.ReadAsync(path, static (session, path) =>
        {
            var command = session.Command(GetSql, "@path");
            command.Set(0, path);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        }, cancellationToken);
    }

    public async IAsyncEnumerable<FileMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var after = "";
        while (true)
        {
            var page = await _database.ReadAsync(after, static (session, after) =>
            {
                var command = session.Command(PageSql, "@after", "@limit");
                command.Set(0, after);
                command.Set(1, PageSize);
                var records = new List<FileMetadata>(PageSize);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    records.Add(Read(reader));
                }

                return records;
            }, cancellationToken).ConfigureAwait(false);

            foreach (var record in page)
            {
                yield return record;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Path;
        }
    }

    public ValueTask UpsertAsync(FileMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var write = _database.WriteAsync(metadata, static (session, metadata) =>
        {
            var command = session.Command(UpsertSql, "@path", "@size", "@last_write", "@content_hash", "@metadata", "@extracted_at", "@error_type", "@error_message", "@error_stack");
            command.Set(0, metadata.Path);
            command.Set(1, metadata.Size);
            command.Set(2, SqliteValues.Ticks(metadata.LastWriteUtc));
            command.Set(3, metadata.ContentHash);
            command.Set(4, SqliteValues.Blob(metadata.Metadata));
            command.Set(5, SqliteValues.Ticks(metadata.ExtractedAt));
            command.Set(6, metadata.Error?.Type);
            command.Set(7, metadata.Error?.Message);
            command.Set(8, metadata.Error?.StackTrace);
            return command.ExecuteNonQuery();
        }, cancellationToken);
        return write.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(write.AsTask());
    }

    public ValueTask<bool> RemoveAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _database.WriteAsync(path, static (session, path) =>
        {
            var command = session.Command(RemoveSql, "@path");
            command.Set(0, path);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    private static FileMetadata Read(SqliteDataReader reader) => new()
    {
        Path = reader.GetString(0),
        Size = reader.GetInt64(1),
        LastWriteUtc = SqliteValues.Instant(reader, 2),
        ContentHash = reader.GetString(3),
        Metadata = SqliteValues.Bytes(reader, 4),
        ExtractedAt = SqliteValues.Instant(reader, 5),
        Error = SqliteValues.Error(reader, 6),
    };
}
