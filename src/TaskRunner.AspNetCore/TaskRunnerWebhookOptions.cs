namespace TaskRunner.AspNetCore;

/// <summary>How <c>MapTaskRunnerWebhooks</c> authenticates and limits webhook calls.</summary>
/// <remarks>Closed to other machines by default: unless <see cref="AuthorizationPolicy"/> is set or
/// <see cref="AllowRemoteCallers"/> is true, only loopback requests are served (403 otherwise), as Hangfire's dashboard does.</remarks>
public sealed class TaskRunnerWebhookOptions
{
    /// <summary>The largest body <see cref="MaxBodyBytes"/> may allow.</summary>
    public const long MaxBodyBytesLimit = 64L << 20;

    /// <summary>The ASP.NET Core authorization policy every webhook call must satisfy (the host registers it with
    /// <c>AddAuthorization</c> and runs <c>UseAuthentication</c>/<c>UseAuthorization</c>). Setting one opens the webhooks to
    /// remote callers that satisfy it.</summary>
    /// <value>Defaults to none.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>The shared secret of HMAC-SHA256 signatures, as GitHub's webhooks use: each call must carry
    /// <see cref="SignatureHeader"/> = <c>sha256=</c> and the lowercase or uppercase hex HMAC of the raw body under this
    /// secret's UTF-8 bytes, compared in constant time (401 otherwise).</summary>
    /// <value>Defaults to none (no signature checked).</value>
    public string? SigningSecret { get; set; }

    /// <summary>The header carrying the signature.</summary>
    /// <value>Defaults to <c>X-Hub-Signature-256</c>.</value>
    public string SignatureHeader { get; set; } = "X-Hub-Signature-256";

    /// <summary>The header carrying the event's id, which makes the publish idempotent (400 when missing or invalid).</summary>
    /// <value>Defaults to <c>X-Event-Id</c>.</value>
    public string EventIdHeader { get; set; } = "X-Event-Id";

    /// <summary>The largest body accepted, in bytes (413 when over).</summary>
    /// <value>Defaults to 1 MiB. Range 1 to <see cref="MaxBodyBytesLimit"/> (64 MiB).</value>
    public long MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Serve requests from other machines without an <see cref="AuthorizationPolicy"/>: for callers that
    /// authenticate by <see cref="SigningSecret"/> only (GitHub, Stripe...), or a host that guards the path itself.</summary>
    /// <value>Defaults to <see langword="false"/>: without a policy, only loopback requests are served.</value>
    public bool AllowRemoteCallers { get; set; }

    /// <summary>Throws when an option is out of its range.</summary>
    internal void Validate()
    {
        if (MaxBodyBytes is < 1 or > MaxBodyBytesLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), MaxBodyBytes,
                $"TaskRunnerWebhookOptions.MaxBodyBytes is {MaxBodyBytes}; it must be between 1 and {MaxBodyBytesLimit}.");
        }

        if (SigningSecret is { Length: 0 })
        {
            throw new ArgumentException("TaskRunnerWebhookOptions.SigningSecret is empty; set a secret or leave it null.", nameof(SigningSecret));
        }

        if (AuthorizationPolicy is { } policy && string.IsNullOrWhiteSpace(policy))
        {
            throw new ArgumentException("TaskRunnerWebhookOptions.AuthorizationPolicy is blank; name a policy or leave it null.", nameof(AuthorizationPolicy));
        }

        ThrowIfBadHeader(SignatureHeader, nameof(SignatureHeader));
        ThrowIfBadHeader(EventIdHeader, nameof(EventIdHeader));
    }

    private static void ThrowIfBadHeader(string? name, string option)
    {
        if (string.IsNullOrWhiteSpace(name) || name.AsSpan().ContainsAnyExcept(HeaderNameChars))
        {
            throw new ArgumentException($"TaskRunnerWebhookOptions.{option} '{name}' is not a valid header name: use ASCII letters, digits and '-'.", option);
        }
    }

    private static readonly System.Buffers.SearchValues<char> HeaderNameChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
}
