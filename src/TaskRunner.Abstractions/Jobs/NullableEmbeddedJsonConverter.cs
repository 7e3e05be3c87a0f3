using System.Text.Json;
using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary><see cref="EmbeddedJsonConverter"/> for an optional value (<see cref="JobRecord.Result"/>): none is <c>null</c>.</summary>
internal sealed class NullableEmbeddedJsonConverter : JsonConverter<ReadOnlyMemory<byte>?>
{
    private static readonly EmbeddedJsonConverter Inner = new();

    public override ReadOnlyMemory<byte>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Inner.Read(ref reader, typeof(ReadOnlyMemory<byte>), options);

    public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte>? value, JsonSerializerOptions options)
    {
        if (value is { } bytes)
        {
            Inner.Write(writer, bytes, options);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
