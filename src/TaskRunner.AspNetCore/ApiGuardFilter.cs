using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TaskRunner.AspNetCore;

/// <summary>Runs before every endpoint of <c>MapTaskRunnerApi</c>: refuses remote callers while the API is local-only, and
/// for actions (POST) refuses a read-only API and requests that may come from another site. Handlers read their bodies
/// themselves, so nothing of a refused request is parsed.</summary>
internal sealed class ApiGuardFilter(TaskRunnerApiOptions options) : IEndpointFilter
{
    private readonly bool _localOnly = options.AuthorizationPolicy is null && !options.AllowRemoteCallers;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_localOnly && !WebhookEndpoint.IsLoopback(http.Connection.RemoteIpAddress))
        {
            ApiLog.RemoteRefused(Logger(http), http.Connection.RemoteIpAddress?.ToString() ?? "an unknown address");
            return new(ApiEndpoints.Problem(StatusCodes.Status403Forbidden, "The TaskRunner API is local-only",
                "This API serves only requests from this machine until the host sets TaskRunnerApiOptions.AuthorizationPolicy (or AllowRemoteCallers)."));
        }

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return next(context);
        }

        if (options.ReadOnly)
        {
            return new(ApiEndpoints.Problem(StatusCodes.Status403Forbidden, "The TaskRunner API is read-only",
                "This API is read-only (TaskRunnerApiOptions.ReadOnly): it serves reads, and refuses actions."));
        }

        // A browser marks a request another site makes; a cross-site form cannot set a custom header, and a cross-site script
        // that sets one must pass a CORS preflight, which this API never approves (the host would have to opt in with CORS).
        if (string.Equals(http.Request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrWhiteSpace(http.Request.Headers[TaskRunnerApiOptions.ActionHeader]))
        {
            return new(ApiEndpoints.Problem(StatusCodes.Status403Forbidden, "Cross-site request refused",
                $"Actions must carry the {TaskRunnerApiOptions.ActionHeader} header (any value) and come from the same site; "
                + "this protects them from requests other web sites make with the user's browser."));
        }

        return next(context);
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(ApiLog.Category) ?? NullLogger.Instance;
}
