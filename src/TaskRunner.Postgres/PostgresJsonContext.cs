using System.Text.Json.Serialization;

namespace TaskRunner.Postgres;

/// <summary>Source-generated JSON for the tag lists (no reflection at run time).</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class PostgresJsonContext : JsonSerializerContext;
