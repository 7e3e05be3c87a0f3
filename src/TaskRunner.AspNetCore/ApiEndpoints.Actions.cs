using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.AspNetCore;

/// <summary>The actions of <c>MapTaskRunnerApi</c>: POSTs, guarded by <see cref="ApiGuardFilter"/> (local-only, read-only,
/// cross-site).</summary>
internal static partial class ApiEndpoints
{
    /// <summary>Enqueues a job by its registered name with a JSON payload. The payload is read as the handler's payload type
    /// with the rules the worker applies (required members, nullable annotations), so a payload the handler could not read is
    /// refused here (400) instead of being dead-lettered later; the JSON stored is the one given.</summary>
    public static async Task<IResult> EnqueueAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "JSON expected", "The body must be JSON (Content-Type: application/json).");
        }

        ApiEnqueueRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<ApiEnqueueRequest>(Json, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid JSON", $"The body cannot be read as an enqueue request {{\"name\", \"payload\", \"options\"}}: {ex.Message}");
        }

        if (request?.Name is not { Length: > 0 } name)
        {
            return Problem(StatusCodes.Status400BadRequest, "Missing job name", "The body must name the job to enqueue: {\"name\": \"send-email\", \"payload\": {...}}.");
        }

        var services = context.RequestServices;
        var registry = services.GetRequiredService<JobRegistry>();
        JobRegistration registration;
        try
        {
            registration = registry.Get(name);
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown job name", ex.Message);
        }

        var payload = request.Payload is { } element ? JsonSerializer.SerializeToUtf8Bytes(element) : [];
        try
        {
            registration.ReadPayload(payload, services.GetRequiredService<JobClient>().PayloadReadOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid payload",
                $"The payload of job '{name}' cannot be read as {registration.PayloadType.FullName}: {ex.Message}");
        }

        EnqueueResult result;
        try
        {
            result = await services.GetRequiredService<IJobSubmitter>()
                .SubmitAsync(name, payload, request.Options, null, null, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Job refused", ex.Message);
        }

        context.Response.Headers.Location = $"{context.Request.PathBase}{context.Request.Path.Value?.TrimEnd('/')}/{result.Id}";
        return Ok(new ApiJobAction(result.Id, "Enqueued"), StatusCodes.Status201Created);
    }

    public static async Task<IResult> CancelAsync(HttpContext context, string id)
    {
        if (!JobId.TryParse(id, out var jobId))
        {
            return BadId(id);
        }

        var outcome = await context.RequestServices.GetRequiredService<IJobClient>().CancelAsync(jobId, context.RequestAborted).ConfigureAwait(false);
        return outcome switch
        {
            CancelResult.NotFound => JobNotFound(jobId),
            CancelResult.AlreadyFinished => Problem(StatusCodes.Status409Conflict, "Job already finished", $"Job {jobId} has already finished; there is nothing to cancel."),
            _ => Ok(new ApiJobAction(jobId, outcome.ToString())),
        };
    }

    public static Task<IResult> RequeueAsync(HttpContext context, string id) =>
        JobActionAsync(context, id, static (client, jobId, ct) => client.RequeueAsync(jobId, ct), "Requeued",
            "Job not dead-lettered", "only a dead-lettered job can be requeued.");

    public static Task<IResult> DeleteAsync(HttpContext context, string id) =>
        JobActionAsync(context, id, static (client, jobId, ct) => client.DeleteAsync(jobId, ct), "Deleted",
            "Job not finished", "only a Succeeded, DeadLettered or Cancelled job can be deleted (cancel it first).");

    /// <summary>An action on one job that the store either does or refuses: 200 with <paramref name="outcome"/>, else 404
    /// when the job does not exist or 409 naming its state and <paramref name="rule"/>.</summary>
    private static async Task<IResult> JobActionAsync(HttpContext context, string id, Func<IJobClient, JobId, CancellationToken, ValueTask<bool>> act,
        string outcome, string conflictTitle, string rule)
    {
        if (!JobId.TryParse(id, out var jobId))
        {
            return BadId(id);
        }

        var client = context.RequestServices.GetRequiredService<IJobClient>();
        if (await act(client, jobId, context.RequestAborted).ConfigureAwait(false))
        {
            return Ok(new ApiJobAction(jobId, outcome));
        }

        var job = await client.GetAsync(jobId, context.RequestAborted).ConfigureAwait(false);
        return job is null
            ? JobNotFound(jobId)
            : Problem(StatusCodes.Status409Conflict, conflictTitle, $"Job {jobId} is {job.State}; {rule}");
    }

    public static async Task<IResult> TriggerScheduleAsync(HttpContext context, string name)
    {
        var id = await context.RequestServices.GetRequiredService<IRecurringJobs>().TriggerAsync(name, context.RequestAborted).ConfigureAwait(false);
        return id is { } jobId ? Ok(new ApiScheduleAction(name, "Triggered", jobId), StatusCodes.Status202Accepted) : ScheduleNotFound(name);
    }

    public static async Task<IResult> PauseScheduleAsync(HttpContext context, string name) =>
        await context.RequestServices.GetRequiredService<IRecurringJobs>().PauseAsync(name, context.RequestAborted).ConfigureAwait(false)
            ? Ok(new ApiScheduleAction(name, "Paused"))
            : ScheduleNotFound(name);

    public static async Task<IResult> ResumeScheduleAsync(HttpContext context, string name) =>
        await context.RequestServices.GetRequiredService<IRecurringJobs>().ResumeAsync(name, context.RequestAborted).ConfigureAwait(false)
            ? Ok(new ApiScheduleAction(name, "Resumed"))
            : ScheduleNotFound(name);

    public static Task<IResult> PauseQueueAsync(HttpContext context, string name) => SetQueuePausedAsync(context, name, paused: true);

    public static Task<IResult> ResumeQueueAsync(HttpContext context, string name) => SetQueuePausedAsync(context, name, paused: false);

    /// <summary>Pauses or resumes a queue in this process only (<see cref="IQueueControl"/> is per process).</summary>
    private static async Task<IResult> SetQueuePausedAsync(HttpContext context, string name, bool paused)
    {
        if (context.RequestServices.GetService<IQueueControl>() is not { } control)
        {
            return Problem(StatusCodes.Status404NotFound, "No workers here",
                "This process runs no workers (no AddTaskRunnerWorker), so it has no queue to pause or resume.");
        }

        try
        {
            if (paused)
            {
                await control.PauseQueueAsync(name, context.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                await control.ResumeQueueAsync(name, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status404NotFound, "Queue not served here", ex.Message);
        }

        return Ok(new ApiQueueAction(name, control.IsPaused(name)));
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ScheduleNotFound(string name) =>
        Problem(StatusCodes.Status404NotFound, "Schedule not found", $"No recurring job is named '{name}'.");
}
