using System.Text.Json;
using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>Writes a <see cref="BatchId"/> as its text (<see cref="BatchId.ToString"/>, 32 hex digits); reads any GUID
/// text.</summary>
internal sealed class BatchIdJsonConverter : JsonConverter<BatchId>
{
    public override BatchId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Guid.TryParse(reader.GetString(), out var value)
            ? new BatchId(value)
            : throw new JsonException($"A batch id must be a GUID in a JSON string; found a JSON {reader.TokenType}.");

    public override void Write(Utf8JsonWriter writer, BatchId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
