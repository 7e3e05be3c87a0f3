using System.Text.Json;
using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>Writes a <see cref="JobId"/> as a JSON number; reads a number or a string holding one. Ids are store
/// sequences, far below 2^53, so JavaScript clients read the number exactly. Applied on the type, so any
/// <see cref="JsonSerializer"/> call uses it.</summary>
internal sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    /// <inheritdoc />
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number) && number > 0)
        {
            return new JobId(number);
        }

        if (reader.TokenType == JsonTokenType.String && JobId.TryParse(reader.GetString(), null, out var id))
        {
            return id;
        }

        throw new JsonException($"A job id must be a positive whole number (or one in a string); found a JSON {reader.TokenType}.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value.Value);
    }

    /// <inheritdoc />
    public override JobId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JobId.TryParse(reader.GetString(), null, out var id)
            ? id
            : throw new JsonException($"'{reader.GetString()}' is not a job id: a job id is a positive whole number.");

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(value.ToString());
    }
}
