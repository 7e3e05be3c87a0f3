using System.Globalization;

namespace TaskRunner.WorkerHost;

/// <summary>The command line: a mode, then <c>--name value</c> pairs.</summary>
internal sealed class WorkerArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    private WorkerArguments(string mode) => Mode = mode;

    public string Mode { get; }

    public static WorkerArguments Parse(string[] args)
    {
        if (args.Length == 0 || args.Length % 2 == 0)
        {
            throw new ArgumentException("usage: TaskRunner.WorkerHost <work|lock|crash|schedule> [--name value]...");
        }

        var parsed = new WorkerArguments(args[0]);
        for (var i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected an option name at '{args[i]}'.");
            }

            parsed._values[args[i][2..]] = args[i + 1];
        }

        return parsed;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string Text(string name) =>
        _values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"Missing option --{name}.");

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public TimeSpan Milliseconds(string name, int fallback) => TimeSpan.FromMilliseconds(Int(name, fallback));
}
