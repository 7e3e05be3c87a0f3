using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace TaskRunner.AspNetCore;

/// <summary>Describes the webhook's body (any JSON: the event's payload) to API descriptions such as OpenAPI, which then
/// list it as an <c>application/json</c> request body. It names no content types on purpose: with one, routing would
/// answer a body of another type with a bare 415 before the endpoint runs, skipping its own checks (local-only first) and
/// its problem details; the endpoint checks the content type itself.</summary>
internal sealed class WebhookBodyMetadata : IAcceptsMetadata
{
    public static readonly WebhookBodyMetadata Instance = new();

    public IReadOnlyList<string> ContentTypes => [];

    public Type? RequestType => typeof(JsonElement);

    public bool IsOptional => false;
}
