using System.Globalization;

namespace TaskRunner;

/// <summary>
/// The allowed range of one option, declared once beside the option and used both to check a value and to say what is
/// wrong with it: every message names the option, the value and the range, in one form
/// (<c>X is V; it must be between MIN and MAX.</c>). The bounds are inclusive; a value that compares as neither inside nor
/// outside (<see cref="double.NaN"/>) is outside.
/// </summary>
/// <remarks>Compiled into each assembly that validates options (linked source), so backends need no access to the core's
/// internals.</remarks>
/// <typeparam name="T">The option's type: <see cref="int"/>, <see cref="long"/>, <see cref="double"/>, <see cref="TimeSpan"/>.</typeparam>
internal sealed class OptionRange<T>(string option, T min, T max, string? unit = null)
    where T : IComparable<T>
{
    /// <summary>The option's name as messages show it, e.g. <c>TaskRunnerOptions.LeaseDuration</c>.</summary>
    public string Option { get; } = option;

    /// <summary>The smallest allowed value.</summary>
    public T Min { get; } = min;

    /// <summary>The largest allowed value.</summary>
    public T Max { get; } = max;

    /// <summary>This range with a lower bound that depends on another option (e.g. a maximum not below its minimum).</summary>
    public OptionRange<T> WithMin(T value) => new(Option, value, Max, unit);

    /// <summary>This range with an upper bound that depends on another option (e.g. a heartbeat within half the lease).</summary>
    public OptionRange<T> WithMax(T value) => new(Option, Min, value, unit);

    /// <summary>Whether <paramref name="value"/> is allowed.</summary>
    // double.CompareTo orders NaN below every number, so NaN fails the lower bound.
    public bool Contains(T value) => value.CompareTo(Min) >= 0 && value.CompareTo(Max) <= 0;

    /// <summary>The message for an out-of-range <paramref name="value"/>.</summary>
    /// <param name="value">The rejected value.</param>
    /// <param name="prefix">Put before the option's name, for an option of an item in a collection
    /// (<c>TaskRunnerOptions.Queues["q"]</c>).</param>
    public string Describe(T value, string? prefix = null)
    {
        var name = prefix is null ? Option : $"{prefix}.{Option}";
        var suffix = unit is null ? "" : " " + unit;
        return string.Create(CultureInfo.InvariantCulture, $"{name} is {value}{suffix}; it must be between {Min}{suffix} and {Max}{suffix}.");
    }

    /// <summary>Adds the message to <paramref name="failures"/> when <paramref name="value"/> is out of range (for
    /// <c>IValidateOptions</c>, which reports every failure at once).</summary>
    public void Check(T value, ICollection<string> failures, string? prefix = null)
    {
        if (!Contains(value))
        {
            failures.Add(Describe(value, prefix));
        }
    }

    /// <summary>Throws when <paramref name="value"/> is out of range (for options checked where they are given).</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="prefix">As for <see cref="Describe"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range; the parameter is the option's name
    /// without its type.</exception>
    public void ThrowIfOutside(T value, string? prefix = null)
    {
        if (!Contains(value))
        {
            var name = prefix is null ? Option : $"{prefix}.{Option}";
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            throw new ArgumentOutOfRangeException(dot < 0 ? name : name[(dot + 1)..], value, Describe(value, prefix));
        }
    }
}
