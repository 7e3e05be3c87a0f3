using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using TaskRunner;
using TaskRunner.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps TaskRunner's JSON API on an ASP.NET Core app.</summary>
public static class TaskRunnerApiEndpointRouteBuilderExtensions
{
    private const string Tag = "TaskRunner";

    /// <summary>Maps the JSON API under <paramref name="prefix"/>: counts, jobs (filters, paging), one job, recurring jobs,
    /// queues, live nodes and held locks (GET), and the actions (POST): enqueue, cancel, requeue, delete a finished job,
    /// trigger/pause/resume a schedule, pause/resume a queue in this process. Every action, done or refused, writes one audit
    /// entry (log category <c>TaskRunner.AspNetCore.Audit</c>: action, target, outcome, status, user, remote address).
    /// Endpoints carry names, summaries and response types, so a host that
    /// calls <c>AddOpenApi()</c>/<c>MapOpenApi()</c> (Microsoft.AspNetCore.OpenApi) describes them. Errors are problem
    /// details: 400 (a bad id or filter, named), 404 (unknown job, schedule, job name or queue), 409 (an action that does not
    /// apply to the job's state), 403 (a remote caller while local-only, a read-only API, an action without the
    /// <see cref="TaskRunnerApiOptions.ActionHeader"/> header or from another site), 415 (an enqueue body that is not JSON).</summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="prefix">The path the API lives under, such as <c>/taskrunner/api</c>.</param>
    /// <param name="configure">Authorization, remote access and read-only mode (see <see cref="TaskRunnerApiOptions"/>);
    /// without a policy, only loopback requests are served.</param>
    /// <returns>The API's route group, for more conventions.</returns>
    /// <exception cref="ArgumentException">The prefix is not a plain path starting with '/', or an option is out of range.</exception>
    public static RouteGroupBuilder MapTaskRunnerApi(this IEndpointRouteBuilder endpoints, string prefix = "/taskrunner/api", Action<TaskRunnerApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ThrowIfBadPrefix(prefix, "API");
        var options = new TaskRunnerApiOptions();
        configure?.Invoke(options);
        options.Validate();
        return MapApi(endpoints, prefix, options);
    }

    /// <summary>Maps the API with options already validated: the dashboard maps its API with its own guard options.</summary>
    internal static RouteGroupBuilder MapApi(IEndpointRouteBuilder endpoints, string prefix, TaskRunnerApiOptions options)
    {
        // The audit filter runs first (outermost), so it also sees the guard's refusals.
        var group = endpoints.MapGroup(prefix.TrimEnd('/')).WithTags(Tag)
            .AddEndpointFilter(new ApiAuditFilter()).AddEndpointFilter(new ApiGuardFilter(options));
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        group.MapGet("/counts", ApiEndpoints.GetCountsAsync)
            .WithName("TaskRunnerGetCounts").WithSummary("Counts jobs by state, over all queues and per queue.")
            .Produces<ApiCounts>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/jobs", ApiEndpoints.ListJobsAsync)
            .WithName("TaskRunnerListJobs")
            .WithSummary("Lists jobs in id order, filtered (every filter must match) and paged by afterId/limit.")
            .WithDescription("Filters: state (a state name), queue, name (job name), batch (32 hex digits), tag, createdFrom, createdBefore, "
                + "finishedFrom, finishedBefore (ISO-8601). Paging: limit (1-10000, default 100) and afterId (nextAfterId of the previous page).")
            .Produces<ApiJobPage>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/jobs/{id}", ApiEndpoints.GetJobAsync)
            .WithName("TaskRunnerGetJob").WithSummary("Reads one job: payload, progress, result, last error with its stack, attempts and times.")
            .Produces<JobRecord>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/recurring", (HttpContext context, [FromQuery] string? upcoming) => ApiEndpoints.ListRecurringAsync(context, upcoming, options.UpcomingOccurrences))
            .WithName("TaskRunnerListRecurringJobs").WithSummary("Lists recurring jobs with their next occurrence and the upcoming ones (?upcoming=0-100).")
            .Produces<List<ApiSchedule>>().ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/queues", ApiEndpoints.ListQueues)
            .WithName("TaskRunnerListQueues").WithSummary("Lists this process's queues with their worker slots and whether this process paused them.")
            .Produces<List<ApiQueue>>();
        group.MapGet("/nodes", (Delegate)ApiEndpoints.ListNodesAsync)
            .WithName("TaskRunnerListNodes").WithSummary("Lists the live worker processes (heartbeat within TaskRunnerOptions.NodeExpiry).")
            .Produces<List<NodeRecord>>();
        group.MapGet("/locks", (Delegate)ApiEndpoints.ListLocksAsync)
            .WithName("TaskRunnerListLocks").WithSummary("Lists the distributed locks held now: name, owner, fencing token, expiry.")
            .Produces<List<LockLease>>();

        MapActions(group);
        ApiEndpoints.MapOperatorEndpoints(group);
        return group;
    }

    /// <summary>Throws when <paramref name="prefix"/> is not a plain path starting with '/'.</summary>
    internal static void ThrowIfBadPrefix(string prefix, string what)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.StartsWith('/') || prefix.AsSpan().IndexOfAny("{}?#*") >= 0)
        {
            throw new ArgumentException($"{what} prefix '{prefix}' is invalid: it must be a path starting with '/', without route parameters, '?' or '#'.", nameof(prefix));
        }
    }

    private static void MapActions(RouteGroupBuilder group)
    {
        group.MapPost("/jobs", (Delegate)ApiEndpoints.EnqueueAsync)
            .WithName("TaskRunnerEnqueue")
            .WithSummary("Enqueues a job by name with a JSON payload: {\"name\": \"...\", \"payload\": {...}, \"options\": {\"queue\": \"...\", \"delay\": \"00:00:05\"}}.")
            .Accepts<ApiEnqueueRequest>("application/json")
            .Produces<ApiJobAction>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapPost("/jobs/{id}/cancel", ApiEndpoints.CancelAsync)
            .WithName("TaskRunnerCancelJob").WithSummary("Cancels a waiting job, or requests cancellation of a running one.")
            .Produces<ApiJobAction>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/jobs/{id}/requeue", ApiEndpoints.RequeueAsync)
            .WithName("TaskRunnerRequeueJob").WithSummary("Puts a dead-lettered job back to pending with its attempts reset.")
            .Produces<ApiJobAction>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/jobs/{id}/delete", ApiEndpoints.DeleteAsync)
            .WithName("TaskRunnerDeleteJob").WithSummary("Deletes one finished job (Succeeded, DeadLettered or Cancelled); a waiting or running job is refused (409).")
            .Produces<ApiJobAction>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/recurring/{name}/trigger", ApiEndpoints.TriggerScheduleAsync)
            .WithName("TaskRunnerTriggerRecurringJob").WithSummary("Enqueues one job for a recurring job now, without changing its schedule.")
            .Produces<ApiScheduleAction>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/recurring/{name}/pause", ApiEndpoints.PauseScheduleAsync)
            .WithName("TaskRunnerPauseRecurringJob").WithSummary("Pauses a recurring job on every node.")
            .Produces<ApiScheduleAction>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/recurring/{name}/resume", ApiEndpoints.ResumeScheduleAsync)
            .WithName("TaskRunnerResumeRecurringJob").WithSummary("Resumes a paused recurring job from its next occurrence.")
            .Produces<ApiScheduleAction>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/queues/{name}/pause", ApiEndpoints.PauseQueueAsync)
            .WithName("TaskRunnerPauseQueue").WithSummary("Stops claiming from a queue in this process only (other processes keep serving it).")
            .Produces<ApiQueueAction>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/queues/{name}/resume", ApiEndpoints.ResumeQueueAsync)
            .WithName("TaskRunnerResumeQueue").WithSummary("Claims from a queue again in this process.")
            .Produces<ApiQueueAction>().ProducesProblem(StatusCodes.Status404NotFound);
    }
}
