using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.Extraction;

/// <summary>Runs one path's unit of work on its pipeline: the engine brings leases, retries and dead letters.</summary>
internal sealed class ExtractionJobHandler(IServiceProvider services) : IJobHandler<ExtractPath>
{
    public ValueTask ExecuteAsync(ExtractPath payload, JobContext context)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(context);
        return services.GetRequiredKeyedService<ExtractionPipeline>(payload.Pipeline).ProcessAsync(payload.Path, context);
    }
}
