using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Checks <see cref="SchedulerOptions"/> at start.</summary>
internal sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    internal static readonly OptionRange<TimeSpan> StoreCheckInterval = new("SchedulerOptions.StoreCheckInterval", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
    internal static readonly OptionRange<TimeSpan> MisfireThreshold = new("SchedulerOptions.MisfireThreshold", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));

    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        StoreCheckInterval.Check(options.StoreCheckInterval, failures);
        MisfireThreshold.Check(options.MisfireThreshold, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
