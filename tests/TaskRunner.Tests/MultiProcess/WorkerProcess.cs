using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>One real OS process running tests/TaskRunner.WorkerHost. Every wait is bounded and fails with the process's
/// output; <see cref="Dispose"/> kills it if it is still running.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public string Description { get; }

    public int Id => _process.Id;

    /// <summary>What the process wrote to stderr so far (its warnings and errors).</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static WorkerProcess Start(string mode, params string[] arguments) => StartDll(WorkerHostPath(), [mode, .. arguments]);

    /// <summary>Starts one of samples/ (built next to the tests, as the worker host is) with its command-line arguments.</summary>
    public static WorkerProcess StartSample(string project, params string[] arguments) => StartDll(SamplePath(project), arguments);

    private static WorkerProcess StartDll(string dll, string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process, $"{Path.GetFileNameWithoutExtension(dll)} {string.Join(' ', arguments)}");
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                worker._stderrClosed.TrySetResult();
                return;
            }

            lock (worker._stderr)
            {
                worker._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits for the process to print <c>ready</c>.</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout) => WaitForLineAsync(line => line.StartsWith("ready ", StringComparison.Ordinal), timeout);

    /// <summary>Waits for a stdout line that matches (including lines already printed) and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        Task<string> seen;
        lock (_lines)
        {
            var existing = _lines.FirstOrDefault(match);
            if (existing is not null)
            {
                return existing;
            }

            var waiter = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, waiter));
            seen = waiter.Task;
        }

        var finished = await Task.WhenAny(seen, _stdoutClosed.Task, Task.Delay(timeout)).ConfigureAwait(false);
        if (finished == seen)
        {
            return await seen.ConfigureAwait(false);
        }

        throw await FailureAsync(finished == _stdoutClosed.Task ? "exited before printing the expected line" : $"did not print the expected line within {timeout}").ConfigureAwait(false);
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Closes stdin, which tells the worker to stop gracefully.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Waits for the process to exit with code 0.</summary>
    public async Task WaitForSuccessfulExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw await FailureAsync($"did not exit within {timeout}").ConfigureAwait(false);
        }

        if (_process.ExitCode != 0)
        {
            throw await FailureAsync("did not exit successfully").ConfigureAwait(false);
        }
    }

    /// <summary>Kills the process at once (SIGKILL on Unix): no shutdown code runs, its lease stays in the store.</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        _process.Kill(entireProcessTree: true);
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped: nothing to clean up.
        }

        _process.Dispose();
    }

    private async Task<XunitException> FailureAsync(string what)
    {
        // A process that exited may still have stderr in the pipe (its reader runs on its own): wait for the end of the
        // stream, bounded, so the message shows why it failed.
        if (_process.HasExited)
        {
            await Task.WhenAny(_stderrClosed.Task, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
            what += $" (exit code {_process.ExitCode})";
        }

        string stdout;
        lock (_lines)
        {
            stdout = string.Join('\n', _lines.TakeLast(20));
        }

        string stderr;
        lock (_stderr)
        {
            stderr = _stderr.ToString();
        }

        return new XunitException($"Worker '{Description}' (pid {_process.Id}) {what}.\n--- stdout (last lines) ---\n{stdout}\n--- stderr ---\n{stderr}");
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            _stdoutClosed.TrySetResult();
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Seen.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    /// <summary>A sample built next to this test assembly: samples/&lt;project&gt;/bin/&lt;configuration&gt;/&lt;tfm&gt;/.</summary>
    private static string SamplePath(string project)
    {
        var tfmDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configurationDirectory = tfmDirectory.Parent!;
        var repository = configurationDirectory.Parent!.Parent!.Parent!.Parent!;
        var path = Path.Combine(repository.FullName, "samples", project, "bin", configurationDirectory.Name, tfmDirectory.Name, project + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The sample {project} is not built at {path}; build Sdk.sln (tests/TaskRunner.Tests references it for build order).", path);
    }

    /// <summary>The worker host built next to this test assembly: tests/TaskRunner.WorkerHost/bin/&lt;configuration&gt;/&lt;tfm&gt;/.</summary>
    private static string WorkerHostPath()
    {
        // This assembly runs from tests/TaskRunner.Tests/bin/<configuration>/<tfm>/.
        var tfmDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configurationDirectory = tfmDirectory.Parent!;
        var testsDirectory = configurationDirectory.Parent!.Parent!.Parent!;
        var path = Path.Combine(testsDirectory.FullName, "TaskRunner.WorkerHost", "bin", configurationDirectory.Name, tfmDirectory.Name, "TaskRunner.WorkerHost.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The worker host is not built at {path}; build Sdk.sln (tests/TaskRunner.Tests references it for build order).", path);
    }
}
