namespace TaskRunner.AspNetCore;

/// <summary>How <c>MapTaskRunnerDashboard</c> serves the dashboard and its JSON API.</summary>
/// <remarks>The page, its assets and its API share one guard: <see cref="Api"/>. Closed to other machines until
/// <see cref="TaskRunnerApiOptions.AuthorizationPolicy"/> (or <see cref="TaskRunnerApiOptions.AllowRemoteCallers"/>) is set;
/// <see cref="TaskRunnerApiOptions.ReadOnly"/> hides the page's actions and refuses them on the server.</remarks>
public sealed class TaskRunnerDashboardOptions
{
    /// <summary>The smallest <see cref="PollInterval"/>.</summary>
    public static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest <see cref="PollInterval"/>.</summary>
    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromMinutes(1);

    /// <summary>The guard and settings of the dashboard's JSON API (mapped at <c>{prefix}/api</c>), which also guard the
    /// page and its assets: authorization policy, remote callers, read-only mode.</summary>
    public TaskRunnerApiOptions Api { get; } = new();

    /// <summary>How often an open dashboard reads the API again while its tab is visible (a hidden tab does not poll).</summary>
    /// <value>Defaults to 2 seconds. Range 250 ms to 1 minute.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws when an option is out of its range.</summary>
    internal void Validate()
    {
        Api.Validate();
        if (PollInterval < MinPollInterval || PollInterval > MaxPollInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval,
                $"TaskRunnerDashboardOptions.PollInterval is {PollInterval}; it must be between {MinPollInterval} and {MaxPollInterval}.");
        }
    }
}
