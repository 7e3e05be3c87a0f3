using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner;

/// <summary>One registered job: its stable name, payload type, defaults, and how to run it.</summary>
internal abstract class JobRegistration
{
    protected JobRegistration(string name, Type? handlerType, Type payloadType, JobOptions defaults)
    {
        Name = name;
        HandlerType = handlerType;
        PayloadType = payloadType;
        Defaults = defaults;
        AcceptsNullPayload = HandlerAcceptsNull(handlerType, payloadType);
    }

    public string Name { get; }

    /// <summary>The handler class, or <see langword="null"/> for a job declared without one (<c>DeclareJob</c>): a client
    /// process enqueues it by name and payload type, and a worker that has the handler runs it.</summary>
    public Type? HandlerType { get; }

    /// <summary>Whether this process can run the job (claims ask only for such names).</summary>
    public bool HasHandler => HandlerType is not null;

    /// <summary>Who takes the payload, for error messages: the handler, or the job name when declared without one.</summary>
    protected string Taker => HandlerType?.FullName ?? $"job '{Name}'";

    public Type PayloadType { get; }

    /// <summary>The job's own defaults (queue, priority, attempts, timeout...), below per-enqueue options.</summary>
    public JobOptions Defaults { get; }

    /// <summary>Whether the handler takes a <see langword="null"/> payload: its payload type is a <see cref="Nullable{T}"/>, or
    /// its <c>ExecuteAsync</c> parameter is annotated nullable (<c>IJobHandler&lt;Report?&gt;</c>). The same rule as
    /// <see cref="JsonSerializerOptions.RespectNullableAnnotations"/> applies to the members of the payload.</summary>
    public bool AcceptsNullPayload { get; }

    /// <summary>Reads the payload. Throws <see cref="JsonException"/> (or <see cref="NotSupportedException"/>) when it cannot be
    /// read, including a <see langword="null"/> (or empty) payload for a handler that does not accept one.</summary>
    public abstract object? ReadPayload(ReadOnlyMemory<byte> json, JsonSerializerOptions options);

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="payload"/> is not a payload of this job: of
    /// another type, or <see langword="null"/> for a handler that does not accept null.</summary>
    public void CheckPayload<TPayload>(TPayload payload, string paramName)
    {
        if (payload is null)
        {
            if (!AcceptsNullPayload)
            {
                throw new ArgumentNullException(paramName,
                    $"The payload of job '{Name}' is null, but {Taker} takes a non-nullable {PayloadType.FullName}.");
            }
        }
        else if (typeof(TPayload) != PayloadType && !PayloadType.IsInstanceOfType(payload))
        {
            // The exact type (the usual case, and every enqueue by type) is decided without boxing a value-type payload.
            var given = payload.GetType();
            var declared = typeof(TPayload) == given || typeof(TPayload) == typeof(object) ? "" : $" (declared as {typeof(TPayload).FullName})";
            throw new ArgumentException(
                $"Job '{Name}' takes a payload of type {PayloadType.FullName}; the payload given is of type {given.FullName}{declared}. "
                + "Pass a payload of the registered type, or enqueue the job registered for this type.",
                paramName);
        }
    }

    /// <summary>The message of the <see cref="JsonException"/> for a null payload the handler does not accept.</summary>
    protected string NullPayloadMessage(bool empty) =>
        $"The payload is {(empty ? "empty" : "JSON null")}, but {Taker} takes a non-nullable {PayloadType.FullName}.";

    private static bool HandlerAcceptsNull(Type? handlerType, Type payloadType)
    {
        if (payloadType.IsValueType)
        {
            return Nullable.GetUnderlyingType(payloadType) is not null;
        }

        // Declared without a handler: a generic argument carries no nullable annotation, so null is refused at enqueue.
        if (handlerType is null)
        {
            return false;
        }

        // The annotation lives on the handler's implementing method (generic arguments lose theirs at run time). The
        // interface is found by assignability, as IJobHandler<in T> lets a handler of a base type serve a derived payload.
        var wanted = typeof(IJobHandler<>).MakeGenericType(payloadType);
        var implemented = handlerType.IsInterface ? null : Array.Find(handlerType.GetInterfaces(), i =>
            i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJobHandler<>) && wanted.IsAssignableFrom(i));
        if (implemented is null)
        {
            return false;
        }

        var map = handlerType.GetInterfaceMap(implemented);
        var method = map.TargetMethods[Array.FindIndex(map.InterfaceMethods, m => m.Name == nameof(IJobHandler<>.ExecuteAsync))];
        return new NullabilityInfoContext().Create(method.GetParameters()[0]).ReadState == NullabilityState.Nullable;
    }

    /// <summary>Resolves the handler from <paramref name="services"/> and runs it.</summary>
    public abstract ValueTask InvokeAsync(IServiceProvider services, object? payload, JobContext context);
}

/// <summary>A job run by <typeparamref name="THandler"/> with a <typeparamref name="TPayload"/> payload.</summary>
internal sealed class JobRegistration<THandler, TPayload>(string name, JobOptions defaults)
    : JobRegistration(name, typeof(THandler), typeof(TPayload), defaults)
    where THandler : class, IJobHandler<TPayload>
{
    public override object? ReadPayload(ReadOnlyMemory<byte> json, JsonSerializerOptions options)
    {
        var payload = json.IsEmpty ? default : JsonSerializer.Deserialize<TPayload>(json.Span, options);
        return payload is null && !AcceptsNullPayload ? throw new JsonException(NullPayloadMessage(json.IsEmpty)) : payload;
    }

    public override ValueTask InvokeAsync(IServiceProvider services, object? payload, JobContext context) =>
        services.GetRequiredService<THandler>().ExecuteAsync((TPayload)payload!, context);
}

/// <summary>A job declared by name and payload type without a handler (<c>DeclareJob</c>): enqueued here, run elsewhere.</summary>
internal sealed class DeclaredJobRegistration<TPayload>(string name, JobOptions defaults)
    : JobRegistration(name, null, typeof(TPayload), defaults)
{
    public override object? ReadPayload(ReadOnlyMemory<byte> json, JsonSerializerOptions options) =>
        json.IsEmpty ? default : JsonSerializer.Deserialize<TPayload>(json.Span, options);

    public override ValueTask InvokeAsync(IServiceProvider services, object? payload, JobContext context) =>
        throw new InvalidOperationException($"Job '{Name}' is declared without a handler in this process; it cannot run here.");
}
