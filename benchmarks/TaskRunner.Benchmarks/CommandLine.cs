using System.Globalization;

namespace TaskRunner.Benchmarks;

/// <summary>The <c>--name value</c> options of the runners.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public CommandLine(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}': options are '--name value' pairs or '--flag'.");
            }

            // A flag (e.g. --cross-process) is an option followed by another option or nothing.
            _values[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
    }

    /// <summary>Whether <c>--name</c> was given (as a bare flag, or with <c>true</c>/<c>yes</c>).</summary>
    public bool Flag(string name) =>
        _values.TryGetValue(name, out var value) && (value is "true" or "yes"
            ? true
            : value is "false" or "no" ? false : throw new ArgumentException($"--{name} is '{value}'; it is a flag: give it alone, or with yes/no."));

    public string Get(string name, string fallback) => _values.TryGetValue(name, out var value) ? value : fallback;

    public int Get(string name, int fallback) =>
        _values.TryGetValue(name, out var value)
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"--{name} is '{value}'; it must be a positive integer.")
            : fallback;

    /// <summary>A zero or positive <c>--name</c>, or <see langword="null"/> when not given (the engine's default then).</summary>
    public int? Optional(string name) =>
        _values.TryGetValue(name, out var value)
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
                ? n
                : throw new ArgumentException($"--{name} is '{value}'; it must be zero or a positive integer.")
            : null;

    /// <summary>The <c>--peer</c> to measure instead of TaskRunner, or <see langword="null"/>.</summary>
    public string? Peer()
    {
        var value = Get("peer", "");
        return value switch
        {
            "" => null,
            "hangfire" or "quartz" => value,
            _ => throw new ArgumentException($"--peer is '{value}'; it must be 'quartz' or 'hangfire'."),
        };
    }

    public Backend Backend()
    {
        var value = Get("backend", "memory");
        return value switch
        {
            "memory" => Benchmarks.Backend.Memory,
            "sqlite" => Benchmarks.Backend.Sqlite,
            "postgres" => Benchmarks.Backend.Postgres,
            "mongo" => Benchmarks.Backend.Mongo,
            _ => throw new ArgumentException($"--backend is '{value}'; it must be 'memory', 'sqlite', 'postgres' or 'mongo'."),
        };
    }
}

/// <summary>Where jobs are stored.</summary>
public enum Backend
{
    /// <summary>The in-memory store.</summary>
    Memory,

    /// <summary>A SQLite file in a temporary directory.</summary>
    Sqlite,

    /// <summary>A fresh schema on the PostgreSQL server named by <c>TASKRUNNER_POSTGRES</c>.</summary>
    Postgres,

    /// <summary>A fresh database on the MongoDB deployment named by <c>TASKRUNNER_MONGO_URI</c> (e2e and latency only).</summary>
    Mongo,
}
