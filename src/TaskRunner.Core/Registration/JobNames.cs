namespace TaskRunner;

/// <summary>The rule for job names, and the readable default derived from a handler type.</summary>
internal static class JobNames
{
    public const int MaxLength = 200;

    /// <summary>The handler's short type name without a trailing "Handler" or "Job" ("SendEmailHandler" → "SendEmail"):
    /// readable, and stable across namespace moves and assembly renames.</summary>
    public static string DefaultFor(Type handlerType)
    {
        ArgumentNullException.ThrowIfNull(handlerType);
        var name = handlerType.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick > 0)
        {
            name = name[..tick];
        }

        foreach (var suffix in (ReadOnlySpan<string>)["JobHandler", "Handler", "Job"])
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    public static void ThrowIfInvalid(string name, string paramName)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxLength)
        {
            throw new ArgumentException($"Job name '{name}' is invalid: it must be 1–{MaxLength} characters and not blank.", paramName);
        }
    }
}
