using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace TaskRunner.Extraction;

/// <summary>
/// Changes of a directory tree: a <see cref="FileSystemWatcher"/> (inotify on Linux) for create, change, delete and
/// rename, or a polling scan, chosen by <see cref="ChangeSourceMode"/>. Events are hints: an overflow or an error of the
/// watcher is reported as <see cref="ChangeKind.Overflow"/>, and the consumer reconciles with a scan. A created or renamed
/// directory is reported file by file (its files may predate its watch); a removed directory is reported as one path,
/// which the pipeline expands to the paths it knows under it. A change to a <c>.gitignore</c> reloads the rules and is
/// reported as an overflow, since it may hide or reveal any number of files.
/// </summary>
internal sealed partial class FileSystemChangeSource(FileTree tree, FileExtractionOptions options, TimeProvider timeProvider, ILogger logger) : IChangeSource
{
    private volatile bool _polling = options.ChangeSource == ChangeSourceMode.Polling;
    private volatile bool _alive;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChannelWriter<RawEvent>? _events;

    /// <summary>Whether the watcher (or the poller) is running.</summary>
    public bool Alive => _alive;

    /// <summary>Whether changes are found by polling.</summary>
    public bool Polling => _polling;

    /// <summary>Completes once changes are being watched (or polled from a first baseline), so that a scan started
    /// afterwards misses nothing: whatever changes after it is reported.</summary>
    public Task Started => _started.Task;

    /// <summary>Test hook: reports an overflow as the watcher does when its buffer overflows.</summary>
    internal void SimulateOverflow() => _events?.TryWrite(new RawEvent(RawKind.Overflow, "", null));

    /// <summary>Test hook: reports a failure as the watcher does when it dies (an error other than an overflow).</summary>
    internal void SimulateFailure() => _events?.TryWrite(new RawEvent(RawKind.Failed, "", null));

    public async IAsyncEnumerable<ChangeEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_polling)
                {
                    await foreach (var change in PollAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield return change;
                    }

                    yield break;
                }

                var raw = Channel.CreateUnbounded<RawEvent>(new UnboundedChannelOptions { SingleReader = true });
                var watcher = TryStartWatcher(raw.Writer);
                if (watcher is null)
                {
                    if (options.ChangeSource == ChangeSourceMode.Watcher)
                    {
                        _started.TrySetResult(); // never watching yet: the start-up scan must not wait for it
                    }

                    yield return new ChangeEvent(ChangeKind.Overflow, "");
                    if (options.ChangeSource == ChangeSourceMode.Auto)
                    {
                        _polling = true;
                        continue;
                    }

                    await Task.Delay(options.PollingInterval, timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                using (watcher)
                {
                    _alive = true;
                    _events = raw.Writer;
                    _started.TrySetResult();
                    await foreach (var e in raw.Reader.ReadAllAsync(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        foreach (var change in Translate(e))
                        {
                            yield return change;
                        }

                        if (e.Kind == RawKind.Failed)
                        {
                            break;
                        }
                    }
                }

                // The watcher died: its events since are lost, so the consumer rescans (the Overflow above); watch again or poll.
                _alive = false;
                if (options.ChangeSource == ChangeSourceMode.Auto)
                {
                    _polling = true;
                }
                else if (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(options.PollingInterval, timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            _alive = false;
        }
    }

    public async IAsyncEnumerable<SourceEntry> ScanAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield(); // scanning blocks on the file system: never on the caller's thread
        foreach (var entry in tree.Scan())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    public ValueTask<SourceEntry?> StatAsync(string path, CancellationToken cancellationToken) => new(tree.Stat(path));

    public ValueTask<PipeReader> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        new(PipeReader.Create(tree.OpenRead(path), new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: false)));

    private FileSystemWatcher? TryStartWatcher(ChannelWriter<RawEvent> events)
    {
        if (options.ChangeSource == ChangeSourceMode.Auto && IsNetworkMount(tree.Root))
        {
            Log.NetworkMount(logger, tree.Root);
            _polling = true;
            return null;
        }

        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(tree.Root)
            {
                IncludeSubdirectories = true,
                InternalBufferSize = 64 * 1024, // the largest Windows allows; inotify's queue is the kernel's
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };

            // The handlers only queue: the watcher's thread must never wait, or its buffer overflows sooner.
            watcher.Created += (_, e) => events.TryWrite(new RawEvent(RawKind.Created, e.FullPath, null));
            watcher.Changed += (_, e) => events.TryWrite(new RawEvent(RawKind.Changed, e.FullPath, null));
            watcher.Deleted += (_, e) => events.TryWrite(new RawEvent(RawKind.Deleted, e.FullPath, null));
            watcher.Renamed += (_, e) => events.TryWrite(new RawEvent(RawKind.Renamed, e.FullPath, e.OldFullPath));
            watcher.Error += (_, e) =>
            {
                var error = e.GetException();
                var overflow = error is InternalBufferOverflowException;
                if (!overflow)
                {
                    Log.WatcherFailed(logger, error, tree.Root);
                }

                events.TryWrite(new RawEvent(overflow ? RawKind.Overflow : RawKind.Failed, "", null));
            };
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            // inotify limits (instances or watches), a vanished root, a file system that cannot be watched.
            Log.WatcherFailed(logger, e, tree.Root);
            watcher?.Dispose();
            return null;
        }
    }

    private IEnumerable<ChangeEvent> Translate(RawEvent e)
    {
        switch (e.Kind)
        {
            case RawKind.Overflow or RawKind.Failed:
                yield return new ChangeEvent(ChangeKind.Overflow, "");
                yield break;
        }

        var path = tree.Relative(e.FullPath);
        var oldPath = e.OldFullPath is null ? null : tree.Relative(e.OldFullPath);
        if (IsRuleFile(path) || IsRuleFile(oldPath))
        {
            tree.Rules.Reload();
            yield return new ChangeEvent(ChangeKind.Overflow, "");
            yield break;
        }

        if (oldPath is not null && !tree.Rules.IsIgnored(oldPath, isDirectory: false))
        {
            yield return new ChangeEvent(ChangeKind.Deleted, oldPath);
        }

        if (path is null)
        {
            yield break;
        }

        if (e.Kind == RawKind.Deleted)
        {
            if (!tree.Rules.IsIgnored(path, isDirectory: false))
            {
                yield return new ChangeEvent(ChangeKind.Deleted, path);
            }

            yield break;
        }

        if (Directory.Exists(e.FullPath))
        {
            // A directory's own change events say nothing; a new one's files may predate its watch.
            if (e.Kind is RawKind.Created or RawKind.Renamed)
            {
                foreach (var entry in tree.Scan(path))
                {
                    yield return new ChangeEvent(ChangeKind.Created, entry.Path);
                }
            }

            yield break;
        }

        if (!tree.Rules.IsIgnored(path, isDirectory: false))
        {
            yield return new ChangeEvent(e.Kind == RawKind.Created || oldPath is not null ? ChangeKind.Created : ChangeKind.Changed, path);
        }
    }

    private async IAsyncEnumerable<ChangeEvent> PollAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Log.Polling(logger, tree.Root, options.PollingInterval);
        Dictionary<string, SourceEntry>? previous = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var current = new Dictionary<string, SourceEntry>(previous?.Count ?? 1024, StringComparer.Ordinal);
            await Task.Run(() =>
            {
                foreach (var entry in tree.Scan())
                {
                    current[entry.Path] = entry;
                }
            }, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            // The first scan only sets the baseline: the consumer reconciles the tree with its store at start.
            if (previous is not null)
            {
                foreach (var (path, entry) in current)
                {
                    if (!previous.Remove(path, out var before))
                    {
                        yield return new ChangeEvent(ChangeKind.Created, path);
                    }
                    else if (before.Size != entry.Size || before.LastWriteUtc != entry.LastWriteUtc)
                    {
                        yield return new ChangeEvent(ChangeKind.Changed, path);
                    }
                }

                foreach (var path in previous.Keys)
                {
                    yield return new ChangeEvent(ChangeKind.Deleted, path);
                }
            }

            previous = current;
            _alive = true; // from the first baseline on, every change is found
            _started.TrySetResult();
            await Task.Delay(options.PollingInterval, timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static bool IsRuleFile(string? path) =>
        path is not null && (path == IgnoreRules.FileName || path.EndsWith("/" + IgnoreRules.FileName, StringComparison.Ordinal));

    private static bool IsNetworkMount(string root)
    {
        try
        {
            return new DriveInfo(root).DriveType == DriveType.Network;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private enum RawKind
    {
        Created,
        Changed,
        Deleted,
        Renamed,
        Overflow,
        Failed,
    }

    private readonly record struct RawEvent(RawKind Kind, string FullPath, string? OldFullPath);

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "Watching '{Root}' failed; its changes are reconciled by a scan")]
        public static partial void WatcherFailed(ILogger logger, Exception exception, string root);

        [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "'{Root}' is on a network mount, where file system events are unreliable: polling it instead")]
        public static partial void NetworkMount(ILogger logger, string root);

        [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "Polling '{Root}' for changes every {Interval}")]
        public static partial void Polling(ILogger logger, string root, TimeSpan interval);
    }
}
