using System.Runtime.InteropServices;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace TaskRunner.Postgres;

/// <summary>How .NET values map to columns and parameters: instants and durations as <c>bigint</c> UTC ticks, payloads
/// as <c>bytea</c>, batch ids as <c>uuid</c>, tags as a JSON array in <c>text</c>.</summary>
internal static class PostgresValues
{
    public static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Int(int? value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = value is { } v ? v : DBNull.Value };

    public static NpgsqlParameter SmallInt(short? value) => new() { NpgsqlDbType = NpgsqlDbType.Smallint, Value = value is { } v ? v : DBNull.Value };

    public static NpgsqlParameter Long(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value is { } v ? v : DBNull.Value };

    public static NpgsqlParameter Bool(bool value) => new() { NpgsqlDbType = NpgsqlDbType.Boolean, Value = value };

    public static NpgsqlParameter Ticks(DateTimeOffset? value) => Long(value?.UtcTicks);

    public static NpgsqlParameter Ticks(TimeSpan? value) => Long(value?.Ticks);

    public static NpgsqlParameter Uuid(Guid? value) => new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = value is { } v ? v : DBNull.Value };

    public static NpgsqlParameter Bytes(ReadOnlyMemory<byte>? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = value is { } v ? ToArray(v) : DBNull.Value };

    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | elementType, Value = values };

    public static byte[] ToArray(ReadOnlyMemory<byte> value) =>
        MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : value.ToArray();

    public static DateTimeOffset Instant(NpgsqlDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? NullableInstant(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static TimeSpan? Duration(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : TimeSpan.FromTicks(reader.GetInt64(ordinal));

    public static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static byte[] Bytes(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? [] : reader.GetFieldValue<byte[]>(ordinal);

    public static byte[]? NullableBytes(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<byte[]>(ordinal);

    public static BatchId? Batch(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : new BatchId(reader.GetGuid(ordinal));

    public static JobError? Error(NpgsqlDataReader reader, int typeOrdinal) =>
        reader.IsDBNull(typeOrdinal)
            ? null
            : new JobError(reader.GetString(typeOrdinal), NullableText(reader, typeOrdinal + 1) ?? "", NullableText(reader, typeOrdinal + 2));

    public static string? Tags(IReadOnlyList<string>? tags) =>
        tags is null || tags.Count == 0 ? null : JsonSerializer.Serialize(tags, PostgresJsonContext.Default.IReadOnlyListString);

    public static IReadOnlyList<string> Tags(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : JsonSerializer.Deserialize(reader.GetString(ordinal), PostgresJsonContext.Default.StringArray) ?? [];
}
