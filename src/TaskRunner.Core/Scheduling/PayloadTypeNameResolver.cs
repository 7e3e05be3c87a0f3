namespace TaskRunner;

/// <summary>The default <see cref="IPayloadJobNameResolver"/>: the payload type's name, until the engine registers a
/// resolver that knows the job registrations.</summary>
internal sealed class PayloadTypeNameResolver : IPayloadJobNameResolver
{
    public string Resolve(Type payloadType)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        return payloadType.Name;
    }
}
