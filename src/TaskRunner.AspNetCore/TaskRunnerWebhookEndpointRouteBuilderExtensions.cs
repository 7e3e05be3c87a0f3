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
    /// local-only), 404 (no subscription to the event), 413 (body over the limit), 415 (not JSON). The endpoint is named
    /// <c>TaskRunnerPublishEvent</c> and described for OpenAPI (body, headers, answers); a host that maps webhooks twice
    /// renames the second (<c>.WithName(...)</c>), as endpoint names are unique.</summary>
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
        Describe(builder, options);
        if (options.AuthorizationPolicy is { } policy)
        {
            builder.RequireAuthorization(policy);
        }

        return builder;
    }

    /// <summary>The OpenAPI description: name, summary, the headers (by their configured names), the JSON body and every
    /// answer, as the JSON API's endpoints have.</summary>
    private static void Describe(RouteHandlerBuilder builder, TaskRunnerWebhookOptions options)
    {
        var signature = options.SigningSecret is null
            ? "Signatures are not checked (no TaskRunnerWebhookOptions.SigningSecret)."
            : $"Header {options.SignatureHeader}: 'sha256=' and the hex HMAC-SHA256 of the raw body under the shared secret (401 otherwise).";
        builder
            .WithName("TaskRunnerPublishEvent")
            .WithTags("TaskRunner")
            .WithSummary("Publishes the JSON body as the event {eventName}: one job per matching subscription, idempotent by the event id.")
            .WithDescription($"Header {options.EventIdHeader} (required): the event's id; a repeated id enqueues nothing new (200, duplicate). "
                + $"{signature} The body is the event's payload as JSON (Content-Type: application/json, at most {options.MaxBodyBytes} bytes).")
            .WithMetadata(WebhookBodyMetadata.Instance)
            .Produces<WebhookPublishResponse>(StatusCodes.Status202Accepted)
            .Produces<WebhookPublishResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
    }
}
