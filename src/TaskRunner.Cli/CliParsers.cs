using System.CommandLine.Parsing;
using System.Globalization;

namespace TaskRunner.Cli;

/// <summary>Parsers for the tool's values; each failure names the value and the rule.</summary>
internal static class CliParsers
{
    private static readonly string StateNames = string.Join(", ", Enum.GetNames<JobState>());

    /// <summary>A duration: a whole number with a unit (<c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>) or a TimeSpan
    /// (<c>01:30:00</c>); it must be positive.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length >= 2 && char.IsAsciiLetter(text[^1])
            && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            try
            {
                duration = char.ToLowerInvariant(text[^1]) switch
                {
                    's' => TimeSpan.FromSeconds(amount),
                    'm' => TimeSpan.FromMinutes(amount),
                    'h' => TimeSpan.FromHours(amount),
                    'd' => TimeSpan.FromDays(amount),
                    _ => TimeSpan.Zero,
                };
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        else if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration))
        {
            return false;
        }

        return duration > TimeSpan.Zero;
    }

    public static TimeSpan? Duration(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (TryParseDuration(text, out var duration))
        {
            return duration;
        }

        result.AddError($"{OptionName(result)} '{text}' is not a duration: use a positive whole number with s, m, h or d (30m, 7d) or hh:mm:ss.");
        return null;
    }

    public static JobState? State(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        // Names only: Enum.TryParse would also take "5" or "1,2", which are not states a person means.
        if (Enum.GetNames<JobState>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return Enum.Parse<JobState>(name);
        }

        result.AddError($"{OptionName(result)} '{text}' is not a job state: use one of {StateNames}.");
        return null;
    }

    public static JobId? JobIdValue(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (JobId.TryParse(text, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        result.AddError($"{OptionName(result)} '{text}' is not a job id: a job id is a positive whole number.");
        return null;
    }

    public static JobId[] JobIds(ArgumentResult result)
    {
        var ids = new List<JobId>();
        foreach (var token in result.Tokens)
        {
            if (JobId.TryParse(token.Value, CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
            else
            {
                result.AddError($"'{token.Value}' is not a job id: a job id is a positive whole number.");
            }
        }

        return [.. ids];
    }

    public static BatchId? Batch(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (Guid.TryParse(text, out var guid))
        {
            return new BatchId(guid);
        }

        result.AddError($"{OptionName(result)} '{text}' is not a batch id: a batch id is 32 hexadecimal digits (a GUID).");
        return null;
    }

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
