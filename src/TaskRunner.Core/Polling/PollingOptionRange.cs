using System.Globalization;

namespace TaskRunner;

/// <summary>Range checks shared by the polling options; every message names the option, the value and the allowed range.</summary>
internal static class PollingOptionRange
{
    public static void Check(string optionsType, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(option, value, string.Create(
                CultureInfo.InvariantCulture,
                $"{optionsType}.{option} is {value}; it must be between {min} and {max}."));
        }
    }

    public static void Check(string optionsType, string option, double value, double min, double max)
    {
        // NaN fails both comparisons, so test for the allowed range rather than for the forbidden one.
        if (!(value >= min && value <= max))
        {
            throw new ArgumentOutOfRangeException(option, value, string.Create(
                CultureInfo.InvariantCulture,
                $"{optionsType}.{option} is {value}; it must be between {min} and {max}."));
        }
    }

    public static void Check(string optionsType, string option, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(option, value, string.Create(
                CultureInfo.InvariantCulture,
                $"{optionsType}.{option} is {value}; it must be between {min} and {max}."));
        }
    }
}
