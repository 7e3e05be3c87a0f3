using System.Globalization;

namespace TaskRunner.Benchmarks;

/// <summary>Prints the runners' figures, one <c>name: value</c> line each.</summary>
internal static class Figures
{
    public static void Print(string name, double value) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {Format(value)}"));

    /// <summary>Prints the p50, p95 and p99 of latencies in microseconds (sorts them in place).</summary>
    public static void PrintLatencies(double[] latencies)
    {
        Array.Sort(latencies);
        Print("latency_us_p50", Percentile(latencies, 50));
        Print("latency_us_p95", Percentile(latencies, 95));
        Print("latency_us_p99", Percentile(latencies, 99));
    }

    public static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private static string Format(double value) =>
        Math.Abs(value) >= 100 || value == Math.Floor(value)
            ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("0.##", CultureInfo.InvariantCulture);
}
