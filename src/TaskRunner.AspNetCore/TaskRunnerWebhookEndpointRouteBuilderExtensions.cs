using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TaskRunner;
using TaskRunner.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps TaskRunner's webhooks on an ASP.NET Core app.</summary>
public static class TaskRunnerWebhookEndpointRouteBuilderExtensions
{
    /// <summary>Maps <c>POST {prefix}/{eventName}</c>: the JSON body is published as that event
    /// (<see cref="IEventPublisher.PublishJsonAsync"/>), idempotently by the event-id header. Answers 202 with the jobs
    /// created, 200 when the event id was published before (nothing new enqueued), and problem details for bad input: 400
    /// (invalid event name, missing or invalid event id, unreadable JSON), 401 (bad signature), 403 (a remote caller while
    /// local-only), 404 (no subscription to the event), 413 (body over the limit), 415 (not JSON).</summary>
    /// <param name="endpoints">The app or a route group.</param>
    /// <param name="prefix">The path the event names follow, such as <c>/webhooks</c>.</param>
    /// <param name="configure">Authentication and limits (see <see cref="TaskRunnerWebhookOptions"/>); without a policy,
    /// only loopback requests are served.</param>
    /// <returns>The endpoint's builder, for more conventions.</returns>
    /// <exception cref="ArgumentException">The prefix is not a plain path starting with '/', or an option is out of range.</exception>
    public static RouteHandlerBuilder MapTaskRunnerWebhooks(this IEndpointRouteBuilder endpoints, string prefix = "/webhooks", Action<TaskRunnerWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.StartsWith('/') || prefix.AsSpan().IndexOfAny("{}?#*") >= 0)
        {
            throw new ArgumentException($"Webhook prefix '{prefix}' is invalid: it must be a path starting with '/', without route parameters, '?' or '#'.", nameof(prefix));
        }

        var options = new TaskRunnerWebhookOptions();
        configure?.Invoke(options);
        options.Validate();
        var endpoint = new WebhookEndpoint(options);
        var builder = endpoints
            .MapPost(prefix.TrimEnd('/') + "/{eventName}", (HttpContext context, string eventName) => endpoint.HandleAsync(context, eventName))
            .WithDisplayName("TaskRunner webhook " + prefix);
        if (options.AuthorizationPolicy is { } policy)
        {
            builder.RequireAuthorization(policy);
        }

        return builder;
    }
}
