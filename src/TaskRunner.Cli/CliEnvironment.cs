using Spectre.Console;

namespace TaskRunner.Cli;

/// <summary>What a command run talks to: the terminal (tables and prompts), the error stream (user errors), the
/// environment variables (TASKRUNNER_SQLITE, TASKRUNNER_POSTGRES) and the clock.</summary>
internal sealed record CliEnvironment(IAnsiConsole Terminal, TextWriter Error, Func<string, string?> Variables, TimeProvider Time)
{
    /// <summary>Writes text as it is, unwrapped and unstyled (JSON for scripts): never through markup or line wrapping.</summary>
    public void WriteRaw(string text) => Terminal.Profile.Out.Writer.WriteLine(text);
}
