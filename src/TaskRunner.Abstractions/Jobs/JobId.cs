using System.Globalization;

namespace TaskRunner;

/// <summary>Identifies a stored job. Ids grow with insertion order within one store.</summary>
/// <param name="Value">The store-assigned number.</param>
public readonly record struct JobId(long Value) : IComparable<JobId>
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
}
