using System.Runtime.CompilerServices;
using Npgsql;
using TaskRunner.Extraction;
using static TaskRunner.Postgres.PostgresDatabase;
using V = TaskRunner.Postgres.PostgresValues;

namespace TaskRunner.Postgres;

/// <summary>Extracted metadata in the <c>file_metadata</c> table, one row per path.</summary>
internal sealed class PostgresMetadataStore : IMetadataStore
{
    // Paging holds a connection for one page at a time rather than for the whole enumeration.
    private const int PageSize = 500;

    private readonly PostgresDatabase _database;

    public PostgresMetadataStore(PostgresDatabase database) => _database = database;

    public ValueTask<FileMetadata?> GetAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _database.RunAsync((path, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.GetMetadata, V.Text(state.path));
            await using var commandScope = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
        }, cancellationToken);
    }

    public async IAsyncEnumerable<FileMetadata> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var after = "";
        while (true)
        {
            var page = await _database.RunAsync((after, sql: _database.Sql), static async (connection, state, ct) =>
            {
                var command = Command(connection, state.sql.PageMetadata, V.Text(state.after), V.Int(PageSize));
                await using var commandScope = command.ConfigureAwait(false);
                var records = new List<FileMetadata>(PageSize);
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
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

    public async ValueTask UpsertAsync(FileMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        await _database.RunAsync((metadata, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var m = state.metadata;
            var command = Command(connection, state.sql.UpsertMetadata,
                V.Text(m.Path), V.Long(m.Size), V.Ticks(m.LastWriteUtc), V.Text(m.ContentHash), V.Bytes(m.Metadata), V.Ticks(m.ExtractedAt),
                V.Text(m.Error?.Type), V.Text(m.Error?.Message), V.Text(m.Error?.StackTrace));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> RemoveAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return _database.RunAsync((path, sql: _database.Sql), static async (connection, state, ct) =>
        {
            var command = Command(connection, state.sql.RemoveMetadata, V.Text(state.path));
            await using var commandScope = command.ConfigureAwait(false);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    private static FileMetadata Read(NpgsqlDataReader reader) => new()
    {
        Path = reader.GetString(0),
        Size = reader.GetInt64(1),
        LastWriteUtc = V.Instant(reader, 2),
        ContentHash = reader.GetString(3),
        Metadata = V.Bytes(reader, 4),
        ExtractedAt = V.Instant(reader, 5),
        Error = V.Error(reader, 6),
    };
}
