using System.Diagnostics;

namespace TaskRunner.Tests.Support;

/// <summary>
/// Real mounts for storage fault tests. The tests run as root (in CI too), and permissions do not stop root, so a
/// read-only file or directory is made with a read-only bind mount and a full disk with a small tmpfs. Everything mounted
/// is unmounted on dispose, last first. Where mounting is impossible the test fails saying so, rather than passing
/// without having checked anything.
/// </summary>
internal sealed class LinuxMounts : IDisposable
{
    private readonly Stack<string> _mounted = new();

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> at <paramref name="directory"/> (created if missing).</summary>
    public void Tmpfs(string directory, long bytes)
    {
        Directory.CreateDirectory(directory);
        Mount(directory, "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", directory);
    }

    /// <summary>Shows <paramref name="source"/> (a file or directory) at <paramref name="target"/>, writable.</summary>
    public void Bind(string source, string target) => Mount(target, "--bind", source, target);

    /// <summary>Shows <paramref name="source"/> at <paramref name="target"/>, read-only for everyone, root included.</summary>
    public void BindReadOnly(string source, string target)
    {
        Bind(source, target);
        Run(throwOnError: true, "mount", "-o", "remount,bind,ro", target);
    }

    public void Dispose()
    {
        while (_mounted.TryPop(out var target))
        {
            if (Run(throwOnError: false, "umount", target) != 0)
            {
                // Still busy (a file left open by a failed assertion): detach it so the directory can be removed.
                Run(throwOnError: false, "umount", "-l", target);
            }
        }
    }

    private void Mount(string target, params string[] arguments)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException("This test needs Linux mounts (tmpfs, read-only bind mounts) and was NOT run: this is not Linux.");
        }

        Run(throwOnError: true, "mount", arguments);
        _mounted.Push(target);
    }

    private static int Run(bool throwOnError, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnError)
        {
            throw new InvalidOperationException(
                $"This test needs to mount file systems (as root, the way CI runs) and was NOT run: '{command} {string.Join(' ', arguments)}' exited {process.ExitCode}: {error.Trim()}");
        }

        return process.ExitCode;
    }
}
