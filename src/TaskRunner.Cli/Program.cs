using Spectre.Console;

namespace TaskRunner.Cli;

/// <summary>The tool's entry point: the only place that touches the process's console; everything else takes it in, so
/// tests run the commands in-process.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args) =>
        CliApp.RunAsync(args, new CliEnvironment(AnsiConsole.Console, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System));
}
