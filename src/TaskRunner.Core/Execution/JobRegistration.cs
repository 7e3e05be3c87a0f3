using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>One registered job: its stable name, payload type, defaults, and how to run it.</summary>
internal abstract class JobRegistration
{
    protected JobRegistration(string name, Type handlerType, Type payloadType, JobOptions defaults)
    {
        Name = name;
        HandlerType = handlerType;
        PayloadType = payloadType;
        Defaults = defaults;
    }

    public string Name { get; }

    public Type HandlerType { get; }

    public Type PayloadType { get; }

    /// <summary>The job's own defaults (queue, priority, attempts, timeout...), below per-enqueue options.</summary>
    public JobOptions Defaults { get; }

    /// <summary>Reads the payload. Throws <see cref="JsonException"/> (or <see cref="NotSupportedException"/>) when it cannot be read.</summary>
    public abstract object? ReadPayload(ReadOnlyMemory<byte> json, JsonSerializerOptions options);

    /// <summary>Resolves the handler from <paramref name="services"/> and runs it.</summary>
    public abstract ValueTask InvokeAsync(IServiceProvider services, object? payload, JobContext context);
}

/// <summary>A job run by <typeparamref name="THandler"/> with a <typeparamref name="TPayload"/> payload.</summary>
internal sealed class JobRegistration<THandler, TPayload>(string name, JobOptions defaults)
    : JobRegistration(name, typeof(THandler), typeof(TPayload), defaults)
    where THandler : class, IJobHandler<TPayload>
{
    public override object? ReadPayload(ReadOnlyMemory<byte> json, JsonSerializerOptions options) =>
        json.IsEmpty ? default(TPayload) : JsonSerializer.Deserialize<TPayload>(json.Span, options);

    public override ValueTask InvokeAsync(IServiceProvider services, object? payload, JobContext context) =>
        services.GetRequiredService<THandler>().ExecuteAsync((TPayload)payload!, context);
}
