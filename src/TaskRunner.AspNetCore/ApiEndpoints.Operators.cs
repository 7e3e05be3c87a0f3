using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.AspNetCore;

/// <summary>The operators' endpoints the dashboard needs beyond single-job calls: throughput over time, and dead letters in
/// bulk (requeue the ones given, purge). Part of <c>MapTaskRunnerApi</c>, so scripts get them too.</summary>
internal static partial class ApiEndpoints
{
    /// <summary>The most ids one bulk requeue takes: a page of the dashboard, with room to spare.</summary>
    public const int MaxBulkIds = 1000;

    internal static void MapOperatorEndpoints(RouteGroupBuilder group)
    {
        var throughput = new ThroughputCounter();
        group.MapGet("/throughput", (HttpContext context, [FromQuery] string? minutes) => GetThroughputAsync(context, minutes, throughput))
            .WithName("TaskRunnerGetThroughput")
            .WithSummary("Counts finished jobs per time bucket over the last ?minutes= (1-1440, default 60): succeeded and failed (dead-lettered).")
            .Produces<ApiThroughput>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapPost("/deadletters/requeue", (Delegate)RequeueManyAsync)
            .WithName("TaskRunnerRequeueDeadLetters")
            .WithSummary($"Requeues the dead-lettered jobs given: {{\"ids\": [1, 2]}} (1 to {MaxBulkIds} ids); ids not dead-lettered are returned as skipped.")
            .Accepts<ApiJobIds>("application/json")
            .Produces<ApiBulkRequeue>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapPost("/deadletters/purge", PurgeDeadLettersAsync)
            .WithName("TaskRunnerPurgeDeadLetters")
            .WithSummary("Deletes dead-lettered jobs: all of them, or those finished before ?finishedBefore= (ISO-8601).")
            .Produces<ApiPurge>().ProducesProblem(StatusCodes.Status400BadRequest);
    }

    public static async Task<IResult> GetThroughputAsync(HttpContext context, string? minutes, ThroughputCounter counter)
    {
        var window = ThroughputCounter.DefaultMinutes;
        if (minutes is not null && (!int.TryParse(minutes, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > ThroughputCounter.MaxMinutes))
        {
            return BadQuery("minutes", minutes, $"minutes is a whole number from 1 to {ThroughputCounter.MaxMinutes}");
        }

        var services = context.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var result = await counter.CountAsync(services.GetRequiredService<IJobClient>(), window, now, context.RequestAborted).ConfigureAwait(false);
        return Ok(result);
    }

    public static async Task<IResult> RequeueManyAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "JSON expected", "The body must be JSON (Content-Type: application/json): {\"ids\": [1, 2]}.");
        }

        ApiJobIds? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<ApiJobIds>(Json, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid JSON", $"The body cannot be read as {{\"ids\": [1, 2]}}: {ex.Message}");
        }

        var ids = request?.Ids;
        if (ids is null || ids.Count is 0 or > MaxBulkIds)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid ids",
                $"The body names {ids?.Count ?? 0} job ids: a bulk requeue takes 1 to {MaxBulkIds}, as {{\"ids\": [1, 2]}}.");
        }

        var client = context.RequestServices.GetRequiredService<IJobClient>();
        var requeued = new List<JobId>();
        var skipped = new List<JobId>();
        foreach (var id in ids.Distinct())
        {
            // One store call per job: the contract requeues by id, and each stays a compare-and-swap on the dead-lettered state.
            (await client.RequeueAsync(id, context.RequestAborted).ConfigureAwait(false) ? requeued : skipped).Add(id);
        }

        return Ok(new ApiBulkRequeue(requeued, skipped));
    }

    public static async Task<IResult> PurgeDeadLettersAsync(HttpContext context, [FromQuery] string? finishedBefore)
    {
        IResult? bad = null;
        var before = ParseInstant("finishedBefore", finishedBefore, ref bad);
        if (bad is not null)
        {
            return bad;
        }

        var purged = await context.RequestServices.GetRequiredService<IJobClient>().PurgeDeadLettersAsync(before, context.RequestAborted).ConfigureAwait(false);
        return Ok(new ApiPurge(purged));
    }
}
