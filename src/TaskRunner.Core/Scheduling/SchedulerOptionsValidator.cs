using Microsoft.Extensions.Options;

namespace TaskRunner;

/// <summary>Checks <see cref="SchedulerOptions"/> at start.</summary>
internal sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.StoreCheckInterval < TimeSpan.FromMilliseconds(100) || options.StoreCheckInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add($"SchedulerOptions.StoreCheckInterval is {options.StoreCheckInterval}; it must be between 00:00:00.1 and 00:05:00.");
        }

        if (options.MisfireThreshold < TimeSpan.FromSeconds(1) || options.MisfireThreshold > TimeSpan.FromDays(1))
        {
            failures.Add($"SchedulerOptions.MisfireThreshold is {options.MisfireThreshold}; it must be between 00:00:01 and 1.00:00:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
