using System.Runtime.InteropServices;
using System.Text;

namespace TaskRunner.WorkerHost;

/// <summary>
/// A text file several processes append lines to. Each line is one <c>write(2)</c> on a descriptor opened with
/// <c>O_APPEND</c>, so the kernel places it atomically at the end of the file whoever else writes: lines never
/// interleave or overwrite each other, and a line is in the file (page cache) as soon as <see cref="Append"/> returns,
/// even if the process is killed right after.
/// </summary>
internal sealed partial class AppendOnlyLog : IDisposable
{
    private readonly int _fd;
    private readonly Lock _gate = new();

    public AppendOnlyLog(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("The worker host's log needs O_APPEND (Linux or macOS).");
        }

        // .NET's FileMode.Append seeks once and then writes at its own offset, which loses lines when processes share a
        // file; hence open(2) with O_APPEND directly. Flag values differ between Linux and macOS.
        var flags = OperatingSystem.IsLinux() ? 0x1 | 0x40 | 0x400 : 0x1 | 0x200 | 0x8; // O_WRONLY | O_CREAT | O_APPEND
        _fd = Open(path, flags, Convert.ToUInt32("644", 8));
        if (_fd < 0)
        {
            throw new IOException($"open({path}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    public void Append(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            var written = Write(_fd, bytes, (nint)bytes.Length);
            if (written != bytes.Length)
            {
                throw new IOException($"write to the log wrote {written} of {bytes.Length} bytes (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
    }

    public void Dispose() => _ = Close(_fd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
