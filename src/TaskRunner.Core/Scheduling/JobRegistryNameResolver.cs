namespace TaskRunner;

/// <summary>Resolves a recurring job's name from the job registered for its payload type.</summary>
internal sealed class JobRegistryNameResolver(JobRegistry registry) : IPayloadJobNameResolver
{
    public string Resolve(Type payloadType)
    {
        try
        {
            return registry.GetForPayload(payloadType).Name;
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }
}
