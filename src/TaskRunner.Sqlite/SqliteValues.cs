using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace TaskRunner.Sqlite;

/// <summary>How .NET values map to columns: instants and durations as INTEGER ticks (UTC), payloads as BLOB, ids of
/// batches as 16-byte BLOB, tags as a JSON array text.</summary>
internal static class SqliteValues
{
    public static void Set(this SqliteCommand command, int index, object? value) =>
        command.Parameters[index].Value = value ?? DBNull.Value;

    public static object Ticks(DateTimeOffset value) => value.UtcTicks;

    public static object? Ticks(DateTimeOffset? value) => value?.UtcTicks;

    public static object? Ticks(TimeSpan? value) => value?.Ticks;

    public static object Blob(ReadOnlyMemory<byte> value)
    {
        if (MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            return segment.Array;
        }

        return value.ToArray();
    }

    public static object? Blob(BatchId? value) => value?.Value.ToByteArray();

    public static DateTimeOffset Instant(SqliteDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? NullableInstant(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static TimeSpan? Duration(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : TimeSpan.FromTicks(reader.GetInt64(ordinal));

    public static string? Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static byte[] Bytes(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : (byte[])reader.GetValue(ordinal);

    public static byte[]? NullableBytes(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal);

    public static BatchId? Batch(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new BatchId(new Guid((byte[])reader.GetValue(ordinal)));

    public static JobError? Error(SqliteDataReader reader, int typeOrdinal) =>
        reader.IsDBNull(typeOrdinal)
            ? null
            : new JobError(reader.GetString(typeOrdinal), Text(reader, typeOrdinal + 1) ?? "", Text(reader, typeOrdinal + 2));

    public static string? Tags(IReadOnlyList<string> tags)
    {
        if (tags is null || tags.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var tag in tags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static IReadOnlyList<string> Tags(SqliteDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return [];
        }

        var reader2 = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(reader.GetString(ordinal)));
        var tags = new List<string>();
        while (reader2.Read())
        {
            if (reader2.TokenType == JsonTokenType.String)
            {
                tags.Add(reader2.GetString()!);
            }
        }

        return tags;
    }
}
