using System.Buffers;

namespace TaskRunner;

/// <summary>The rule for queue names: 1–64 characters of lowercase letters, digits, '-', '_' and '.'.</summary>
internal static class QueueNames
{
    public const int MaxLength = 64;

    private static readonly SearchValues<char> Allowed = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-_.");

    /// <summary>Returns why <paramref name="name"/> is not a valid queue name, or <see langword="null"/> if it is.</summary>
    public static string? Validate(string? name) =>
        name is null || name.Length is 0 or > MaxLength || name.AsSpan().ContainsAnyExcept(Allowed)
            ? $"Queue name '{name}' is invalid: it must be 1–{MaxLength} characters of lowercase letters, digits, '-', '_' and '.'."
            : null;

    /// <summary>Throws if <paramref name="name"/> is not a valid queue name.</summary>
    public static void ThrowIfInvalid(string? name, string paramName)
    {
        if (Validate(name) is { } error)
        {
            throw new ArgumentException(error, paramName);
        }
    }
}
