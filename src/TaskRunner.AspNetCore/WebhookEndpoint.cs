using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TaskRunner.AspNetCore;

/// <summary>Serves <c>POST {prefix}/{eventName}</c>: checks the caller, the event name and id, the body's size and
/// signature, then publishes the body through <see cref="IEventPublisher.PublishJsonAsync"/>. Checks run from the
/// cheapest and least revealing on: an unsigned caller learns nothing about which events exist (401 before 404).</summary>
internal sealed class WebhookEndpoint
{
    private const string SignaturePrefix = "sha256=";
    private readonly TaskRunnerWebhookOptions _options;
    private readonly byte[]? _secret;
    private readonly bool _localOnly;

    public WebhookEndpoint(TaskRunnerWebhookOptions options)
    {
        _options = options;
        _secret = options.SigningSecret is { } secret ? Encoding.UTF8.GetBytes(secret) : null;
        _localOnly = options.AuthorizationPolicy is null && !options.AllowRemoteCallers;
    }

    public async Task<IResult> HandleAsync(HttpContext context, string eventName)
    {
        if (_localOnly && !IsLoopback(context.Connection.RemoteIpAddress))
        {
            WebhookLog.RemoteRefused(Logger(context), RemoteAddress(context));
            return Problem(StatusCodes.Status403Forbidden, "Webhooks are local-only",
                "This endpoint serves only requests from this machine until the host sets TaskRunnerWebhookOptions.AuthorizationPolicy (or AllowRemoteCallers).");
        }

        if (EventNames.ValidateEventName(eventName) is { } nameError)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid event name", nameError);
        }

        var ids = context.Request.Headers[_options.EventIdHeader];
        if (ids.Count != 1 || EventNames.ValidateEventId(ids[0]) is { } idError)
        {
            return Problem(StatusCodes.Status400BadRequest, "Missing or invalid event id", ids.Count switch
            {
                0 => $"The {_options.EventIdHeader} header is missing: every call names its event's id, so a redelivery enqueues nothing new.",
                1 => EventNames.ValidateEventId(ids[0]),
                _ => $"The {_options.EventIdHeader} header is given {ids.Count} times; give it once.",
            });
        }

        if (!context.Request.HasJsonContentType())
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "JSON expected", "The body must be JSON (Content-Type: application/json).");
        }

        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is over {_options.MaxBodyBytes} bytes (TaskRunnerWebhookOptions.MaxBodyBytes).");
        }

        if (_secret is not null && !SignatureMatches(context.Request.Headers[_options.SignatureHeader], body.Value.Span))
        {
            WebhookLog.BadSignature(Logger(context), eventName, RemoteAddress(context));
            return Problem(StatusCodes.Status401Unauthorized, "Invalid signature",
                $"The {_options.SignatureHeader} header must be '{SignaturePrefix}' and the hex HMAC-SHA256 of the body under the shared secret.");
        }

        var publisher = context.RequestServices.GetService<IEventPublisher>();
        if (publisher is null || !publisher.HasSubscriptions(eventName))
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown event", $"No subscription listens to event '{eventName}'.");
        }

        EventPublishResult result;
        try
        {
            result = await publisher.PublishJsonAsync(eventName, body.Value, ids[0]!, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid JSON", $"The body cannot be read as event '{eventName}': {ex.Message}");
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Event refused", ex.Message);
        }

        var logger = Logger(context);
        if (logger.IsEnabled(LogLevel.Information))
        {
            WebhookLog.Published(logger, result.EventName, result.EventId, result.CreatedCount, result.Jobs.Count);
        }

        var response = new WebhookPublishResponse(result.EventName, result.EventId, result.IsDuplicate,
            [.. result.Jobs.Select(j => new WebhookJob(j.Subscription, j.JobName, j.Id.Value, j.Created))]);
        return TypedResults.Json(response, statusCode: result.IsDuplicate ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    /// <summary>Loopback only (127.0.0.0/8, ::1, and IPv4-mapped loopback). An unknown address is not local: a server that
    /// cannot say who called must not open the endpoint.</summary>
    internal static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(WebhookLog.Category) ?? NullLogger.Instance;

    private static string RemoteAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "an unknown address";

    /// <summary>Reads the body up to the limit; <see langword="null"/> when it is over.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context)
    {
        var max = _options.MaxBodyBytes;
        if (context.Request.ContentLength > max)
        {
            return null;
        }

        // Also tell the server, so a body it would buffer anyway stops at the limit.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = max;
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(context.Request.ContentLength ?? 4096, max) + 1);
        try
        {
            while (true)
            {
                var read = await context.Request.Body.ReadAsync(buffer.GetMemory(4096), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.WrittenMemory;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > max)
                {
                    return null;
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    private bool SignatureMatches(Microsoft.Extensions.Primitives.StringValues header, ReadOnlySpan<byte> body)
    {
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var hex = value.AsSpan(SignaturePrefix.Length);
        if (hex.Length != given.Length * 2 || Convert.FromHexString(hex, given, out _, out _) != OperationStatus.Done)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(int status, string title, string? detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
