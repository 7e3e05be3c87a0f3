using System.Buffers;

namespace TaskRunner;

/// <summary>The rules for event names, event ids and subscription names, and the idempotency key they make together.</summary>
/// <remarks>A job's key is <c>event:{event name}:{event id}:{subscription}</c>. Names leave out ':' so the key reads back
/// unambiguously (the id is what lies between the first and the last ':'), and the three limits of 64 keep it within the
/// 200 characters every store allows for an idempotency key (6 + 64 + 1 + 64 + 1 + 64 = 200). Only printable ASCII is
/// allowed: names appear in URLs (webhooks), logs and the terminal, and a hostile name must not smuggle anything there.</remarks>
internal static class EventNames
{
    public const int MaxNameLength = 64;
    public const int MaxIdLength = 64;
    public const string KeyPrefix = "event:";

    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
    private static readonly SearchValues<char> IdChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:");

    /// <summary>Why <paramref name="name"/> is not a valid event name, or <see langword="null"/> if it is.</summary>
    public static string? ValidateEventName(string? name) => ValidateName(name, "Event name");

    /// <summary>Why <paramref name="name"/> is not a valid subscription name, or <see langword="null"/> if it is.</summary>
    public static string? ValidateSubscriptionName(string? name) => ValidateName(name, "Subscription name");

    /// <summary>Why <paramref name="id"/> is not a valid event id, or <see langword="null"/> if it is.</summary>
    public static string? ValidateEventId(string? id) =>
        id is null || id.Length is 0 or > MaxIdLength || id.AsSpan().ContainsAnyExcept(IdChars)
            ? $"Event id '{Printable(id)}' is invalid: it must be 1–{MaxIdLength} ASCII letters, digits, '.', '-', '_' and ':'."
            : null;

    public static void ThrowIfInvalidEventName(string? name, string paramName) => Throw(ValidateEventName(name), paramName);

    public static void ThrowIfInvalidEventId(string? id, string paramName) => Throw(ValidateEventId(id), paramName);

    public static string IdempotencyKey(string eventName, string eventId, string subscription) =>
        $"{KeyPrefix}{eventName}:{eventId}:{subscription}";

    private static string? ValidateName(string? name, string what) =>
        name is null || name.Length is 0 or > MaxNameLength || name.AsSpan().ContainsAnyExcept(NameChars) || !char.IsAsciiLetterOrDigit(name[0])
            ? $"{what} '{Printable(name)}' is invalid: it must be 1–{MaxNameLength} ASCII letters, digits, '.', '-' and '_', starting with a letter or digit."
            : null;

    private static void Throw(string? error, string paramName)
    {
        if (error is not null)
        {
            throw new ArgumentException(error, paramName);
        }
    }

    /// <summary>The value as it may be quoted in a message: control characters escaped and long values cut, so a hostile
    /// value cannot forge log lines or flood them.</summary>
    private static string? Printable(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var shown = value.Length > 100 ? value[..100] + "…" : value;
        return shown.AsSpan().IndexOfAnyInRange('\0', '\u001f') < 0 && !shown.Contains('\u007f', StringComparison.Ordinal)
            ? shown
            : string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
