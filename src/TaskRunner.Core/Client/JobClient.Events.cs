using System.Text.Json;

namespace TaskRunner;

/// <summary>The job client's part in event publishing (<see cref="EventPublisher"/>): events are read and job payloads
/// written with the runner's JSON options, jobs get the same validation and defaults as any enqueue, and they are stored
/// in one store call that wakes the local pollers.</summary>
internal sealed partial class JobClient
{
    private JsonSerializerOptions? _eventOptions;

    /// <summary>Events are read as strictly as job payloads (see <c>JobExecutor</c>): a missing required member or a null
    /// in a non-nullable one is unreadable, refused at publish rather than failing the job later.</summary>
    private JsonSerializerOptions EventOptions => _eventOptions ??= new(_options.JsonSerializerOptions)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    internal ReadOnlyMemory<byte> SerializeEvent(object? value, Type type) =>
        JsonSerializer.SerializeToUtf8Bytes(value, type, _options.JsonSerializerOptions);

    internal object? ReadEvent(ReadOnlyMemory<byte> json, Type type)
    {
        var value = JsonSerializer.Deserialize(json.Span, type, EventOptions);
        // A reference type cannot say at run time whether it was declared nullable; an event is data, so null is refused.
        return value is null && Nullable.GetUnderlyingType(type) is null
            ? throw new JsonException($"The event is JSON null, but its subscription reads it as a non-nullable {type.FullName}.")
            : value;
    }

    internal NewJob BuildEventJob(JobRegistration registration, object? payload, JobOptions? options, string idempotencyKey)
    {
        registration.CheckPayload(payload, nameof(payload));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(payload, registration.PayloadType, _options.JsonSerializerOptions);
        CheckPayloadSize(bytes.Length);
        return Build(registration, bytes, options, null, idempotencyKey);
    }

    internal ValueTask<IReadOnlyList<EnqueueResult>> StoreEventJobsAsync(NewJob[] jobs, CancellationToken cancellationToken) =>
        StoreAsync(jobs, cancellationToken);
}
