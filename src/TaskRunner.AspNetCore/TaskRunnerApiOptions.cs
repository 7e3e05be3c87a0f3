namespace TaskRunner.AspNetCore;

/// <summary>How <c>MapTaskRunnerApi</c> guards the JSON API.</summary>
/// <remarks>Closed to other machines by default: unless <see cref="AuthorizationPolicy"/> is set or
/// <see cref="AllowRemoteCallers"/> is true, only loopback requests are served (403 otherwise), as Hangfire's dashboard
/// does. Actions are POSTs that must carry the <see cref="ActionHeader"/> header, which a cross-site form cannot send and a
/// cross-site script cannot send without a CORS preflight the API never approves.</remarks>
public sealed class TaskRunnerApiOptions
{
    /// <summary>The header every action (POST) must carry, with any non-empty value (403 otherwise).</summary>
    public const string ActionHeader = "X-TaskRunner-Action";

    /// <summary>The ASP.NET Core authorization policy every call must satisfy (the host registers it with
    /// <c>AddAuthorization</c> and runs <c>UseAuthentication</c>/<c>UseAuthorization</c>). Setting one opens the API to
    /// remote callers that satisfy it.</summary>
    /// <value>Defaults to none.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>Serve requests from other machines without an <see cref="AuthorizationPolicy"/>: for a host that guards the
    /// path itself (a reverse proxy with its own authentication, a private network).</summary>
    /// <value>Defaults to <see langword="false"/>: without a policy, only loopback requests are served.</value>
    public bool AllowRemoteCallers { get; set; }

    /// <summary>Serve only the reads: every action answers 403, and the OpenAPI description still lists them.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }

    /// <summary>How many upcoming occurrences <c>GET {prefix}/recurring</c> returns per schedule when the request does not
    /// say (<c>?upcoming=</c>, 0 to 100).</summary>
    /// <value>Defaults to 5. Range 0 to 100.</value>
    public int UpcomingOccurrences { get; set; } = 5;

    /// <summary>Throws when an option is out of its range.</summary>
    internal void Validate()
    {
        if (AuthorizationPolicy is { } policy && string.IsNullOrWhiteSpace(policy))
        {
            throw new ArgumentException("TaskRunnerApiOptions.AuthorizationPolicy is blank; name a policy or leave it null.", nameof(AuthorizationPolicy));
        }

        if (UpcomingOccurrences is < 0 or > ApiEndpoints.MaxUpcoming)
        {
            throw new ArgumentOutOfRangeException(nameof(UpcomingOccurrences), UpcomingOccurrences,
                $"TaskRunnerApiOptions.UpcomingOccurrences is {UpcomingOccurrences}; it must be between 0 and {ApiEndpoints.MaxUpcoming}.");
        }
    }
}
