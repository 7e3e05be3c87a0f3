using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace TaskRunner;

/// <summary>Identifies a stored job. Ids grow with insertion order within one store.</summary>
/// <remarks>Its text form is the number in invariant digits (<c>42</c>): it parses (<see cref="IParsable{TSelf}"/>, so
/// ASP.NET Core binds it from a route or query string) and formats without allocating (<see cref="ISpanFormattable"/>).
/// In JSON it is a number; reading also accepts the number in a string.</remarks>
/// <param name="Value">The store-assigned number.</param>
[JsonConverter(typeof(JobIdJsonConverter))]
public readonly record struct JobId(long Value) : IComparable<JobId>, ISpanParsable<JobId>, ISpanFormattable, IUtf8SpanFormattable
{
    /// <inheritdoc />
    public int CompareTo(JobId other) => Value.CompareTo(other.Value);

    /// <summary>Whether <paramref name="left"/> was created before <paramref name="right"/>.</summary>
    public static bool operator <(JobId left, JobId right) => left.Value < right.Value;

    /// <summary>Whether <paramref name="left"/> was created after <paramref name="right"/>.</summary>
    public static bool operator >(JobId left, JobId right) => left.Value > right.Value;

    /// <summary>Whether <paramref name="left"/> is <paramref name="right"/> or was created before it.</summary>
    public static bool operator <=(JobId left, JobId right) => left.Value <= right.Value;

    /// <summary>Whether <paramref name="left"/> is <paramref name="right"/> or was created after it.</summary>
    public static bool operator >=(JobId left, JobId right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats the id; <paramref name="format"/> and <paramref name="formatProvider"/> are ignored (always
    /// invariant digits), so the text always parses back.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Value.TryFormat(destination, out charsWritten, default, CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Value.TryFormat(utf8Destination, out bytesWritten, default, CultureInfo.InvariantCulture);

    /// <summary>Parses an id: a positive whole number in invariant digits, without sign, spaces or separators.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not such a number; the message names it.</exception>
    public static JobId Parse(string s) => Parse(s, null);

    /// <inheritdoc cref="Parse(string)" />
    public static JobId Parse(string s, IFormatProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Parse(s.AsSpan(), provider);
    }

    /// <inheritdoc cref="Parse(string)" />
    public static JobId Parse(ReadOnlySpan<char> s, IFormatProvider? provider) =>
        TryParse(s, provider, out var id)
            ? id
            : throw new FormatException($"'{s}' is not a job id: a job id is a positive whole number (1 to {long.MaxValue}), digits only.");

    /// <summary>Tries to parse an id (see <see cref="Parse(string)"/>).</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out JobId result) => TryParse(s, null, out result);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out JobId result) =>
        TryParse(s.AsSpan(), provider, out result);

    /// <inheritdoc />
    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out JobId result)
    {
        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
        {
            result = new JobId(value);
            return true;
        }

        result = default;
        return false;
    }
}
