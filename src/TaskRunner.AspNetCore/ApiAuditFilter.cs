using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TaskRunner.AspNetCore;

/// <summary>Writes one <see cref="ApiAuditLog"/> entry for every action (POST) of <c>MapTaskRunnerApi</c>: which action
/// (the endpoint's name without its <c>TaskRunner</c> prefix: <c>Enqueue</c>, <c>CancelJob</c>, <c>PauseQueue</c>...), on
/// what (a job id, a schedule or a queue name), the outcome and status code, the authenticated user's name and the remote
/// address. It runs outside <see cref="ApiGuardFilter"/>, so refusals (local-only, read-only, cross-site) are audited too;
/// an action added to the API later is audited without change here. Requests refused by the host's authorization policy
/// never reach an endpoint filter: ASP.NET Core's authorization middleware logs those.</summary>
internal sealed class ApiAuditFilter : IEndpointFilter
{
    private const string NamePrefix = "TaskRunner";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return await next(context).ConfigureAwait(false);
        }

        object? result;
        try
        {
            result = await next(context).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Write(http, LogLevel.Error, ex, null, "Error: " + ex.GetType().Name, StatusCodes.Status500InternalServerError);
            throw;
        }

        var status = (result as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode;
        var level = status switch
        {
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => LogLevel.Warning,
            >= StatusCodes.Status500InternalServerError => LogLevel.Error,
            _ => LogLevel.Information,
        };
        Write(http, level, null, (result as IValueHttpResult)?.Value, Outcome(result), status);
        return result;
    }

    private static void Write(HttpContext http, LogLevel level, Exception? exception, object? value, string outcome, int status)
    {
        var logger = http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(ApiAuditLog.Category) ?? NullLogger.Instance;
        if (!logger.IsEnabled(level))
        {
            return;
        }

        var (kind, target) = Target(http, value);
        var action = ActionName(http);
        var user = http.User.Identity is { IsAuthenticated: true } identity ? identity.Name ?? "(authenticated, no name)" : null;
        var remoteAddress = http.Connection.RemoteIpAddress?.ToString();
        ApiAuditLog.Action(logger, level, exception, action, kind, target, outcome, status, user, remoteAddress);
    }

    /// <summary>The endpoint's name without the common prefix (<c>TaskRunnerCancelJob</c> → <c>CancelJob</c>), else its route.</summary>
    private static string ActionName(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is { } name)
        {
            return name.StartsWith(NamePrefix, StringComparison.Ordinal) && name.Length > NamePrefix.Length ? name[NamePrefix.Length..] : name;
        }

        return "POST " + ((endpoint as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value);
    }

    /// <summary>What the action was about: the answer's subject when it names one (an enqueue's new job), else the route's
    /// <c>{id}</c> (a job) or <c>{name}</c> (a schedule under <c>/recurring</c>, else a queue).</summary>
    private static (string Kind, string? Target) Target(HttpContext http, object? value)
    {
        switch (value)
        {
            case ApiJobAction job:
                return ("job", job.Id.ToString());
            case ApiScheduleAction schedule:
                return ("schedule", schedule.Name);
            case ApiQueueAction queue:
                return ("queue", queue.Name);
            case ApiBulkRequeue bulk:
                return ("jobs", string.Join(',', bulk.Requeued.Concat(bulk.Skipped)));
            case ApiPurge:
                return ("dead letters", http.Request.Query["finishedBefore"] is { Count: > 0 } before ? "finished before " + before : "all");
        }

        var routeValues = http.Request.RouteValues;
        if (routeValues.TryGetValue("id", out var id))
        {
            return ("job", id?.ToString());
        }

        if (routeValues.TryGetValue("name", out var name))
        {
            var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? string.Empty;
            return (pattern.Contains("/recurring/", StringComparison.Ordinal) ? "schedule" : "queue", name?.ToString());
        }

        return ("job", null); // an enqueue that was refused: no job was made
    }

    /// <summary>The answer's outcome (<c>Enqueued</c>, <c>Cancelled</c>, <c>Paused</c>...) or the problem's title.</summary>
    private static string Outcome(object? result) => result switch
    {
        IValueHttpResult { Value: ApiJobAction job } => job.Outcome,
        IValueHttpResult { Value: ApiScheduleAction schedule } => schedule.Outcome,
        IValueHttpResult { Value: ApiQueueAction queue } => queue.Paused ? "Paused" : "Resumed",
        IValueHttpResult { Value: ApiBulkRequeue bulk } => $"Requeued {bulk.Requeued.Count}, skipped {bulk.Skipped.Count}",
        IValueHttpResult { Value: ApiPurge purge } => $"Purged {purge.Purged}",
        ProblemHttpResult problem => problem.ProblemDetails.Title ?? "Problem",
        IStatusCodeHttpResult { StatusCode: { } code } => code < 400 ? "Done" : "Refused",
        _ => "Done",
    };
}
