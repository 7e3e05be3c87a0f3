using Microsoft.Extensions.Options;

namespace TaskRunner.Extraction;

/// <summary>Checks each pipeline's options against the ranges of SPEC §7; the error names the pipeline, the option, the
/// value and the allowed range.</summary>
internal sealed class FileExtractionOptionsValidator : IValidateOptions<FileExtractionOptions>
{
    public ValidateOptionsResult Validate(string? name, FileExtractionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var prefix = $"File extraction '{name}':";
        if (string.IsNullOrWhiteSpace(options.Root))
        {
            errors.Add($"{prefix} Root is empty; it must name an existing directory.");
        }
        else if (!Directory.Exists(options.Root))
        {
            errors.Add($"{prefix} Root '{options.Root}' is not an existing directory.");
        }

        Range(errors, prefix, nameof(options.DebounceDelay), options.DebounceDelay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Range(errors, prefix, nameof(options.MaxDelay), options.MaxDelay, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(600));
        Range(errors, prefix, nameof(options.QueueSize), options.QueueSize, 100, 10_000);
        Range(errors, prefix, nameof(options.BatchSize), options.BatchSize, 1, 100);
        Range(errors, prefix, nameof(options.Workers), options.Workers, 1, 8);
        Range(errors, prefix, nameof(options.MaxAttempts), options.MaxAttempts, 1, 100);
        Range(errors, prefix, nameof(options.PollingInterval), options.PollingInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        if (!Enum.IsDefined(options.ChangeSource))
        {
            errors.Add($"{prefix} ChangeSource is {options.ChangeSource}; it must be Auto, Watcher or Polling.");
        }

        foreach (var pattern in options.Ignore)
        {
            if (string.IsNullOrWhiteSpace(pattern))
            {
                errors.Add($"{prefix} Ignore has a blank pattern.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range<T>(List<string> errors, string prefix, string option, T value, T min, T max)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            errors.Add($"{prefix} {option} is {value}; it must be between {min} and {max}.");
        }
    }
}
