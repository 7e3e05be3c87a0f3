using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TaskRunner.Extraction;

/// <summary>
/// One root kept in step with its metadata (SPEC §7). Changes from the source go through a bounded queue to the job
/// store, where each path is one debounced unit of work keyed by its path (<see cref="NewJob.DebounceMaxDelay"/>), so
/// pending work survives a crash or restart and processes sharing the store never double it. An overflow or error of the
/// source, a full queue, and the start all lead to a reconciling scan of the tree against the metadata store. A path's
/// job decides: gone → remove its metadata; size and write time as stored → skip unread; otherwise read it once through a
/// pipe shared by the extractor and the hash, skip when the hash is unchanged, store the metadata otherwise — unless the
/// file changed while it was read, when it is queued again (a file still being written is extracted once stable).
/// </summary>
internal sealed partial class ExtractionPipeline : IFileExtractionPipeline, IHostedLifecycleService, IDisposable
{
    private const int RescanChunk = 500;
    private const int MaxKeyLength = 200;

    private readonly FileExtractionOptions _options;
    private readonly IExtractor _extractor;
    private readonly IJobStore _jobs;
    private readonly ScopedMetadataStore _store;
    private readonly LocalSignals _signals;
    private readonly DueTimeWaker _dueTimes;
    private readonly ExtractionMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FileTree _tree;
    private readonly FileSystemChangeSource _source;
    private readonly FileMetadataCache _cache = new();
    private readonly Channel<ChangeEvent> _queue;
    private readonly Channel<string> _rescans = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, long> _firstSeen = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly KeyValuePair<string, object?> _tag;
    private readonly CancellationTokenSource _stopping = new();
    private Task _run = Task.CompletedTask;
    private long _lastRescanTicks = long.MinValue;
    private int _rescanning;

    public ExtractionPipeline(string name, FileExtractionOptions options, IExtractor extractor, IJobStore jobs, IMetadataStore metadata,
        LocalSignals signals, DueTimeWaker dueTimes, ExtractionMetrics metrics, TimeProvider time, ILogger logger)
    {
        Name = name;
        _options = options;
        _extractor = extractor;
        _jobs = jobs;
        _store = new ScopedMetadataStore(metadata, name);
        _signals = signals;
        _dueTimes = dueTimes;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _tag = new("pipeline", name);
        _tree = new FileTree(options.Root, new IgnoreRules(Path.GetFullPath(options.Root), options.Ignore, options.UseGitIgnoreFiles))
        {
            Refused = path =>
            {
                _metrics.Refused.Add(1, _tag);
                Log.LinkRefused(_logger, path, Name);
            },
        };
        _source = new FileSystemChangeSource(_tree, options, time, logger);
        _queue = Channel.CreateBounded<ChangeEvent>(new BoundedChannelOptions(options.QueueSize) { SingleReader = true, SingleWriter = true });
        metrics.Track(this);
    }

    public string Name { get; }

    public string Root => _tree.Root;

    public bool WatcherAlive => _source.Alive;

    public bool Polling => _source.Polling;

    public DateTimeOffset? LastRescanAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastRescanTicks);
            return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public int QueueLength => _queue.Reader.Count;

    public long Cursor => _cache.Cursor;

    /// <summary>The job name of this pipeline's path jobs.</summary>
    public string JobName => JobNameOf(Name);

    /// <summary>The queue of this pipeline's path jobs.</summary>
    public string Queue => QueueOf(Name);

    /// <summary>Completes when the cache is loaded and the start-up scan has queued every difference.</summary>
    internal Task Ready => _ready.Task;

    /// <summary>Test and benchmark hook: called with the paths of each call to the job store.</summary>
    internal Action<IReadOnlyList<string>>? Enqueued { get; set; }

    /// <summary>Test hook: the change source.</summary>
    internal FileSystemChangeSource Source => _source;

    /// <summary>Whether nothing is left to hand to the job store: no change queued, no scan running or requested.</summary>
    internal bool Idle => QueueLength == 0 && _rescans.Reader.Count == 0 && Volatile.Read(ref _rescanning) == 0;

    /// <summary>Files seen by the last reconciling scan, and how long it took.</summary>
    internal (int Files, TimeSpan Duration) LastRescan { get; private set; }

    public static string JobNameOf(string name) => "taskrunner.extract." + name;

    public static string QueueOf(string name) => "extract." + name;

    public FileMetadata? Find(string path) => _cache.Get(path);

    public IReadOnlyList<FileMetadata> List() => _cache.List();

    public IReadOnlyList<MetadataChange> GetChangesSince(long cursor) => _cache.GetChangesSince(cursor);

    public IDisposable Subscribe(Action<MetadataChange> onChange) => _cache.Subscribe(onChange);

    public void RequestRescan() => RequestRescan("request");

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // After every StartAsync: the runner has initialized the stores by then.
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _run.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _stopping.Dispose();

    /// <summary>Hands changes to the job store: one debounced job per path.</summary>
    internal async ValueTask EnqueueAsync(IReadOnlyList<string> paths, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var seen = _time.GetTimestamp();
        var jobs = new NewJob[paths.Count];
        for (var i = 0; i < jobs.Length; i++)
        {
            var key = KeyOf(paths[i]);
            jobs[i] = new NewJob
            {
                Name = JobName,
                Payload = JsonSerializer.SerializeToUtf8Bytes(new ExtractPath(Name, paths[i])),
                Queue = Queue,
                RunAt = now + delay,
                MaxAttempts = _options.MaxAttempts,
                UniqueKey = key,
                ConcurrencyKey = key,
                DebounceMaxDelay = _options.MaxDelay,
            };
            _firstSeen.TryAdd(paths[i], seen);
        }

        var results = await _jobs.EnqueueAsync(jobs, now, cancellationToken).ConfigureAwait(false);
        var coalesced = results.Count(r => !r.Created);
        if (coalesced > 0)
        {
            _metrics.Coalesced.Add(coalesced, _tag);
        }

        if (delay <= TimeSpan.Zero)
        {
            _signals.Wake(Queue);
        }

        _dueTimes.Notify(now + delay); // the earliest run-at may be this one; after it the waker re-reads the store (a debounce moves run-ats on)
        Enqueued?.Invoke(paths);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Watch first, so that nothing changed during the start-up scan is missed: its events wait in the queue.
            var pump = Task.Run(() => PumpAsync(cancellationToken), CancellationToken.None);
            await _source.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
            RequestRescan("start");
            await DispatchAsync(cancellationToken).ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _ready.TrySetCanceled(CancellationToken.None);
        }
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var change in _source.WatchAsync(cancellationToken).ConfigureAwait(false))
                {
                    _metrics.Events.Add(1, _tag, new("kind", change.Kind.ToString()));
                    if (change.Kind == ChangeKind.Overflow)
                    {
                        RequestRescan("overflow");
                    }
                    else if (!_queue.Writer.TryWrite(change))
                    {
                        RequestRescan("queue_full"); // dropped: the scan finds it
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.SourceFailed(_logger, e, Name);
                RequestRescan("error");
                await Task.Delay(_options.PollingInterval, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        var batch = new List<ChangeEvent>(_options.BatchSize);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_rescans.Reader.TryRead(out var reason))
                {
                    Volatile.Write(ref _rescanning, 1);
                    try
                    {
                        await RescanAsync(reason, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Volatile.Write(ref _rescanning, 0);
                    }

                    _ready.TrySetResult();
                    continue;
                }

                while (batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var change))
                {
                    batch.Add(change);
                }

                if (batch.Count == 0)
                {
                    await Task.WhenAny(
                        _queue.Reader.WaitToReadAsync(cancellationToken).AsTask(),
                        _rescans.Reader.WaitToReadAsync(cancellationToken).AsTask()).ConfigureAwait(false);
                    continue;
                }

                await EnqueueAsync(PathsOf(batch), _options.DebounceDelay, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store refused the batch (or the scan failed): those changes are not lost, the next scan finds them.
                Log.DispatchFailed(_logger, e, Name);
                batch.Clear();
                await Task.Delay(_options.PollingInterval, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                RequestRescan("error");
            }
        }
    }

    private List<string> PathsOf(List<ChangeEvent> batch)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in batch)
        {
            paths.Add(change.Path);
            if (change.Kind == ChangeKind.Deleted)
            {
                // It may have been a directory: everything known under it goes too (each path's job checks the tree).
                paths.UnionWith(_cache.PathsUnder(change.Path));
            }
        }

        if (batch.Count > paths.Count)
        {
            _metrics.Coalesced.Add(batch.Count - paths.Count, _tag);
        }

        return [.. paths];
    }

    private async Task RescanAsync(string reason, CancellationToken cancellationToken)
    {
        _metrics.Rescans.Add(1, _tag, new("reason", reason));
        Log.Rescanning(_logger, Name, reason);
        var started = _time.GetTimestamp();

        // Reload from the store: other processes sharing it may have written since.
        var records = new List<FileMetadata>();
        await foreach (var record in _store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(record);
        }

        _cache.Load(records);
        var known = new HashSet<string>(_cache.Paths(), StringComparer.Ordinal);
        var differing = new List<string>(RescanChunk);
        var files = 0;
        await foreach (var entry in _source.ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            files++;
            known.Remove(entry.Path);
            var cached = _cache.Get(entry.Path);
            if (cached is null || cached.Size != entry.Size || cached.LastWriteUtc != entry.LastWriteUtc)
            {
                differing.Add(entry.Path);
                if (differing.Count == RescanChunk)
                {
                    await EnqueueAsync(differing, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                    differing = new List<string>(RescanChunk);
                }
            }
        }

        differing.AddRange(known); // stored, no longer in the tree
        for (var i = 0; i < differing.Count; i += RescanChunk)
        {
            await EnqueueAsync(differing.GetRange(i, Math.Min(RescanChunk, differing.Count - i)), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }

        LastRescan = (files, _time.GetElapsedTime(started));
        Interlocked.Exchange(ref _lastRescanTicks, _time.GetUtcNow().UtcTicks);
    }

    private async ValueTask RequeueAsync(string path, TimeSpan delay, CancellationToken cancellationToken) =>
        await EnqueueAsync([path], delay, cancellationToken).ConfigureAwait(false);

    private void RequestRescan(string reason) => _rescans.Writer.TryWrite(reason);

    private string KeyOf(string path)
    {
        var key = "extract:" + Name + ":" + path;
        return key.Length <= MaxKeyLength
            ? key
            : "extract:" + Name + ":#" + Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(path)));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "File extraction '{Pipeline}': reconciling scan ({Reason})")]
        public static partial void Rescanning(ILogger logger, string pipeline, string reason);

        [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "File extraction '{Pipeline}': the change source failed; changes are reconciled by a scan")]
        public static partial void SourceFailed(ILogger logger, Exception exception, string pipeline);

        [LoggerMessage(EventId = 712, Level = LogLevel.Warning, Message = "File extraction '{Pipeline}': queuing changes failed; they are reconciled by a scan")]
        public static partial void DispatchFailed(ILogger logger, Exception exception, string pipeline);

        [LoggerMessage(EventId = 713, Level = LogLevel.Warning, Message = "File extraction '{Pipeline}': refused '{Path}', a link out of the root (or a linked directory)")]
        public static partial void LinkRefused(ILogger logger, string path, string pipeline);
    }
}
