using System.Diagnostics;

namespace TaskRunner.Tests.Cli;

/// <summary>The built tool as a real process: its entry point wires the terminal, stdout and stderr and the exit code.</summary>
public sealed class CliProcessTests
{
    [Fact]
    public async Task The_built_tool_lists_a_store_and_reports_bad_input_with_exit_code_1()
    {
        await using var store = await CliStore.CreateAsync();

        var stats = await RunAsync(["jobs", "list", "--state", "Pending", "--json", .. store.StoreArguments]);
        Assert.True(stats.ExitCode == 0, stats.Error);
        Assert.Contains($"\"id\": {store.Pending}", stats.Output, StringComparison.Ordinal);

        var help = await RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("schedules", help.Output, StringComparison.Ordinal);

        var bad = await RunAsync(["jobs", "show", "nope", .. store.StoreArguments]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'nope' is not a job id", bad.Error, StringComparison.Ordinal);
    }

    private static async Task<CliResult> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(ToolPath());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The tool must not pick up a store from the test run's environment.
        start.Environment.Remove("TASKRUNNER_SQLITE");
        start.Environment.Remove("TASKRUNNER_POSTGRES");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>The tool built next to this test assembly: src/TaskRunner.Cli/bin/&lt;configuration&gt;/&lt;tfm&gt;/.</summary>
    private static string ToolPath()
    {
        var tfmDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configurationDirectory = tfmDirectory.Parent!;
        var repository = configurationDirectory.Parent!.Parent!.Parent!.Parent!;
        var path = Path.Combine(repository.FullName, "src", "TaskRunner.Cli", "bin", configurationDirectory.Name, tfmDirectory.Name, "TaskRunner.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The tool is not built at {path}; build Sdk.sln.", path);
    }
}
