using System.Text.Json;

namespace TaskRunner;

/// <summary>Lets the HTTP API (TaskRunner.AspNetCore) check a raw JSON payload before storing it, as strictly as the worker
/// will read it (<c>JobExecutor</c>): the same options events are read with.</summary>
internal sealed partial class JobClient
{
    internal JsonSerializerOptions PayloadReadOptions => EventOptions;
}
