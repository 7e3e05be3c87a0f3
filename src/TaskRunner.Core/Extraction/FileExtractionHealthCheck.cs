using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TaskRunner.Extraction;

/// <summary>
/// Reports the file extraction pipelines' health: healthy while each one watches its tree (or polls it) and has finished
/// a reconciling scan; degraded while a pipeline has fallen back to polling or has not finished its first scan;
/// unhealthy while a pipeline's change source is down (changes are then only found by the next scan).
/// Add it with <c>services.AddHealthChecks().AddCheck&lt;FileExtractionHealthCheck&gt;("extraction")</c>.
/// </summary>
public sealed class FileExtractionHealthCheck(IEnumerable<IFileExtractionPipeline> pipelines) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>();
        var down = new List<string>();
        var degraded = new List<string>();
        foreach (var pipeline in pipelines)
        {
            data[pipeline.Name + ".watcherAlive"] = pipeline.WatcherAlive;
            data[pipeline.Name + ".polling"] = pipeline.Polling;
            data[pipeline.Name + ".queueLength"] = pipeline.QueueLength;
            if (pipeline.LastRescanAt is { } at)
            {
                data[pipeline.Name + ".lastRescan"] = at;
            }

            if (!pipeline.WatcherAlive)
            {
                down.Add(pipeline.Name);
            }
            else if (pipeline.Polling || pipeline.LastRescanAt is null)
            {
                degraded.Add(pipeline.Name);
            }
        }

        var result = down.Count > 0
            ? HealthCheckResult.Unhealthy($"Not watching: {string.Join(", ", down)}.", data: data)
            : degraded.Count > 0
                ? HealthCheckResult.Degraded($"Polling or not yet reconciled: {string.Join(", ", degraded)}.", data: data)
                : HealthCheckResult.Healthy("Watching.", data);
        return Task.FromResult(result);
    }
}
