using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TaskRunner.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps TaskRunner's web dashboard on an ASP.NET Core app.</summary>
public static class TaskRunnerDashboardEndpointRouteBuilderExtensions
{
    private const string Tag = "TaskRunner";

    /// <summary>Maps the dashboard at <c>{prefix}/</c> (<c>{prefix}</c> redirects there): a single page served from files
    /// embedded in this package (no CDN; it works offline), with the JSON API it reads at <c>{prefix}/api</c>
    /// (<see cref="TaskRunnerApiEndpointRouteBuilderExtensions.MapTaskRunnerApi"/>, plus <c>GET {prefix}/api/info</c>). The
    /// page, its assets and the API pass the same guard: local-only until <see cref="TaskRunnerApiOptions.AuthorizationPolicy"/>
    /// is set, read-only on request, actions only as same-site POSTs with the <see cref="TaskRunnerApiOptions.ActionHeader"/>
    /// header. The page is sent with a strict Content-Security-Policy (its own scripts and styles only, no framing).</summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="prefix">The path the dashboard lives under, such as <c>/taskrunner</c>.</param>
    /// <param name="configure">The guard (<see cref="TaskRunnerDashboardOptions.Api"/>) and the refresh interval.</param>
    /// <returns>The dashboard's route group (the page and assets; the API is its own group under it), for more conventions.</returns>
    /// <exception cref="ArgumentException">The prefix is not a plain path starting with '/', or an option is out of range.</exception>
    public static RouteGroupBuilder MapTaskRunnerDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/taskrunner", Action<TaskRunnerDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        TaskRunnerApiEndpointRouteBuilderExtensions.ThrowIfBadPrefix(prefix, "Dashboard");
        var options = new TaskRunnerDashboardOptions();
        configure?.Invoke(options);
        options.Validate();

        var root = prefix.TrimEnd('/');
        var api = TaskRunnerApiEndpointRouteBuilderExtensions.MapApi(endpoints, root + "/api", options.Api);
        var info = new ApiDashboardInfo(options.Api.ReadOnly, (int)options.PollInterval.TotalMilliseconds);
        api.MapGet("/info", () => ApiEndpoints.Ok(info))
            .WithName("TaskRunnerDashboardInfo").WithSummary("What the dashboard page needs to know: read-only mode and its refresh interval.")
            .Produces<ApiDashboardInfo>();

        // The page and its assets pass the API's guard (local-only, policy); they are GETs, so its action rules never apply.
        var group = endpoints.MapGroup(root).WithTags(Tag).ExcludeFromDescription().AddEndpointFilter(new ApiGuardFilter(options.Api));
        if (options.Api.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        group.MapGet("/", DashboardEndpoints.Page);
        group.MapGet("/assets/{file}", DashboardEndpoints.Asset);
        return group;
    }
}
