using Microsoft.Extensions.Hosting;

namespace TaskRunner;

/// <summary>Reads the generic host's <c>HostOptions.ShutdownTimeout</c>: how long the host waits for its services to stop
/// before it gives up on them.</summary>
/// <remarks>HostOptions lives in Microsoft.Extensions.Hosting, the host itself; the engine depends only on the hosting
/// abstractions (a library must not pull in the host with its configuration and console logging), so the type is looked
/// up by name in the host's own assembly.</remarks>
internal static class HostShutdownTimeout
{
    private const string HostOptionsType = "Microsoft.Extensions.Hosting.HostOptions, Microsoft.Extensions.Hosting";

    /// <summary>The most that running jobs are given once the host stops, whatever <see cref="TaskRunnerOptions.ShutdownTimeout"/>
    /// says: the host's timeout less this share of it stays for cancelling the jobs and storing their hand-backs.</summary>
    public static TimeSpan HandBackReserve(TimeSpan hostTimeout) =>
        TimeSpan.FromTicks(Math.Min(hostTimeout.Ticks / 4, MaxHandBackReserve.Ticks));

    /// <summary>At most this long is kept back for the hand-back (a cancelled handler returning, one store write).</summary>
    public static readonly TimeSpan MaxHandBackReserve = TimeSpan.FromSeconds(2);

    /// <summary>The host's shutdown timeout, or <see langword="null"/> without a generic host or with an infinite timeout.</summary>
    public static TimeSpan? Read(IServiceProvider services)
    {
        // No application lifetime: the container was built by hand, and no host will give up on us.
        if (services.GetService(typeof(IHostApplicationLifetime)) is null
            || Type.GetType(HostOptionsType, throwOnError: false) is not { } type
            || services.GetService(typeof(Microsoft.Extensions.Options.IOptions<>).MakeGenericType(type)) is not { } options
            || options.GetType().GetProperty("Value")?.GetValue(options) is not { } value
            || type.GetProperty("ShutdownTimeout")?.GetValue(value) is not TimeSpan timeout
            || timeout == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        return timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout;
    }
}
