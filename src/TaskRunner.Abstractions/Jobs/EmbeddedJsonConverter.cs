using System.Text.Json;
using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>Writes serialized JSON bytes (a job's payload or result) as the JSON they hold, embedded in the document rather
/// than base64; reads any JSON value back as its UTF-8 bytes. No bytes (an empty payload) is <c>null</c>. Bytes that are not
/// JSON — which the client never stores — are written as a base64 string, so serializing never fails.</summary>
internal sealed class EmbeddedJsonConverter : JsonConverter<ReadOnlyMemory<byte>>
{
    public override bool HandleNull => true;

    public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        using var document = JsonDocument.ParseValue(ref reader);
        return JsonSerializer.SerializeToUtf8Bytes(document.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options)
    {
        if (value.IsEmpty)
        {
            writer.WriteNullValue();
        }
        else if (IsJson(value.Span))
        {
            writer.WriteRawValue(value.Span, skipInputValidation: true);
        }
        else
        {
            writer.WriteBase64StringValue(value.Span);
        }
    }

    private static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            reader.Read();
            reader.Skip();
            return !reader.Read(); // one value and nothing after it
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
