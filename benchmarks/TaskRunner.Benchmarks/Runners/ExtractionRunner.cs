using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Hashing;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Extraction;

namespace TaskRunner.Benchmarks.Runners;

/// <summary>
/// <c>extraction --files N [--edits K] [--backend sqlite|memory]</c>: the change feed on a real temporary tree. Creates N
/// files as fast as it can, rewrites a tenth of them three times in a burst, renames and deletes 2 % each — enough to
/// overflow the watcher's buffer and the change queue — then waits until the pipeline is quiet and compares the metadata
/// store (not the cache) with the tree: <c>lost</c> counts paths whose stored metadata is missing, extra or stale. Then K
/// single edits on the idle pipeline (1 s debounce, the smallest allowed) give the change-to-metadata latency, and a
/// rescan of the unchanged tree its speed.
/// </summary>
internal static class ExtractionRunner
{
    public static async Task RunAsync(CommandLine options)
    {
        var files = options.Get("files", 100_000);
        var edits = options.Get("edits", 20);
        var backend = options.Get("backend", "sqlite") switch
        {
            "sqlite" => Backend.Sqlite,
            "memory" => Backend.Memory,
            var other => throw new ArgumentException($"--backend is '{other}'; it must be 'sqlite' or 'memory'."),
        };
        var progress = Environment.GetEnvironmentVariable("BENCH_PROGRESS") is { Length: > 0 };
        var baseDirectory = Directory.CreateTempSubdirectory("tr-extraction-bench-");
        var root = Path.Combine(baseDirectory.FullName, "tree");
        Directory.CreateDirectory(root);
        using var counters = new Counters();
        try
        {
            await using var host = await BenchHost.StartAsync(backend, 1, b => b.AddFileExtraction<LengthExtractor>("bench", root, o =>
            {
                o.DebounceDelay = TimeSpan.FromSeconds(1);
                o.MaxDelay = TimeSpan.FromSeconds(30);
                o.Workers = 8;
                o.BatchSize = 100;
            })).ConfigureAwait(false);
            var pipeline = host.Services.GetRequiredKeyedService<ExtractionPipeline>("bench");
            await pipeline.Ready.ConfigureAwait(false);

            // Churn, as fast as possible.
            var churn = Stopwatch.StartNew();
            for (var i = 0; i < files; i++)
            {
                var directory = Path.Combine(root, $"d{i % 1000:D3}");
                if (i < 1000)
                {
                    Directory.CreateDirectory(directory);
                }

                await File.WriteAllTextAsync(Path.Combine(directory, $"f{i}.txt"), Content(i, 0)).ConfigureAwait(false);
                if (i % 20_000 == 10_000 || i == files / 2)
                {
                    // inotify's kernel queue rarely overflows here (.NET drains it on a thread of its own): force what an
                    // overflow reports, as SPEC §10 asks, on top of the change queue's real overflows.
                    pipeline.Source.SimulateOverflow();
                }
            }

            for (var i = 0; i < files / 10; i++)
            {
                for (var version = 1; version <= 3; version++)
                {
                    await File.WriteAllTextAsync(PathOf(root, i), Content(i, version)).ConfigureAwait(false);
                }
            }

            for (var i = files / 10; i < files / 10 + files / 50; i++)
            {
                File.Move(PathOf(root, i), PathOf(root, i) + ".renamed");
            }

            for (var i = files / 2; i < files / 2 + files / 50; i++)
            {
                File.Delete(PathOf(root, i));
            }

            churn.Stop();
            if (progress)
            {
                Console.Error.WriteLine($"churn done in {churn.Elapsed.TotalSeconds:0.0} s; events {counters["events"]}");
            }

            var settle = Stopwatch.StartNew();
            await WaitUntilQuietAsync(host, pipeline, progress, counters).ConfigureAwait(false);
            settle.Stop();
            var lost = await CountLostAsync(host.Services.GetRequiredService<IMetadataStore>(), root).ConfigureAwait(false);

            Figures.Print("files", Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Count());
            Figures.Print("events", counters["events"]);
            Figures.Print("coalesced", counters["coalesced"]);
            Figures.Print("extractions", counters["extractions"]);
            Figures.Print("rescans", counters["rescans"]);
            // Overflows reported by the source (here forced); a rescan requested while another waits is folded into it, so
            // rescans by reason count the request that ran, not every cause.
            Figures.Print("overflow_events", counters["events_Overflow"]);
            Figures.Print("rescans_overflow", counters["rescans_overflow"]);
            Figures.Print("rescans_queue_full", counters["rescans_queue_full"]); // the change queue was full
            Figures.Print("lost", lost);
            Figures.Print("churn_s", churn.Elapsed.TotalSeconds);
            Figures.Print("settle_s", settle.Elapsed.TotalSeconds);

            // Single edits on the idle pipeline.
            var latencies = new double[edits];
            for (var e = 0; e < edits; e++)
            {
                var i = (e * 7919) % (files / 10); // rewritten files: never renamed or deleted
                var path = $"d{i % 1000:D3}/f{i}.txt";
                var content = Content(i, 100 + e);
                var hash = Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(content)));
                var stored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (pipeline.Subscribe(c =>
                {
                    if (c.Path == path && c.Metadata?.ContentHash == hash)
                    {
                        stored.TrySetResult();
                    }
                }))
                {
                    var started = Stopwatch.GetTimestamp();
                    await File.WriteAllTextAsync(Path.Combine(root, path), content).ConfigureAwait(false);
                    await stored.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                    latencies[e] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }

            Array.Sort(latencies);
            Figures.Print("change_to_metadata_ms_p50", Figures.Percentile(latencies, 50));
            Figures.Print("change_to_metadata_ms_p99", Figures.Percentile(latencies, 99));

            // A rescan of the unchanged tree: walk, stat and compare, nothing to queue.
            var before = pipeline.LastRescanAt;
            pipeline.RequestRescan();
            while (pipeline.LastRescanAt == before || !pipeline.Idle)
            {
                await Task.Delay(10).ConfigureAwait(false);
            }

            var (scanned, took) = pipeline.LastRescan;
            Figures.Print("rescan_files_per_s", scanned / took.TotalSeconds);
        }
        finally
        {
            try
            {
                baseDirectory.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string PathOf(string root, int i) => Path.Combine(root, $"d{i % 1000:D3}", $"f{i}.txt");

    private static string Content(int i, int version) => $"file {i} version {version}\n" + new string('x', 64 + (i % 32)) + "\n";

    private static async Task WaitUntilQuietAsync(BenchHost host, ExtractionPipeline pipeline, bool progress, Counters counters)
    {
        // Quiet: nothing queued, no scan running, no path's work waiting, for 3 s in a row (longer than the debounce).
        var quietSince = Stopwatch.StartNew();
        var deadline = Stopwatch.StartNew();
        while (quietSince.Elapsed < TimeSpan.FromSeconds(3))
        {
            var counts = await host.Store.CountAsync(pipeline.Queue).ConfigureAwait(false);
            if (!pipeline.Idle || counts.Scheduled + counts.Pending + counts.Running + counts.Failed > 0)
            {
                quietSince.Restart();
            }

            if (progress)
            {
                Console.Error.WriteLine($"  waiting: queue {pipeline.QueueLength}, jobs {counts.Scheduled}/{counts.Pending}/{counts.Running}, extractions {counters["extractions"]}");
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(20))
            {
                throw new TimeoutException("The pipeline did not settle within 20 minutes.");
            }

            await Task.Delay(progress ? 1000 : 100).ConfigureAwait(false);
        }
    }

    private static async Task<int> CountLostAsync(IMetadataStore store, string root)
    {
        var stored = new Dictionary<string, FileMetadata>(StringComparer.Ordinal);
        await foreach (var record in store.ListAsync().ConfigureAwait(false))
        {
            stored[record.Path] = record;
        }

        var lost = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var path = "bench/" + Path.GetRelativePath(root, file).Replace('\\', '/');
            var content = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
            if (!stored.Remove(path, out var record) || record.Size != content.Length
                || record.ContentHash != Convert.ToHexStringLower(XxHash128.Hash(content)))
            {
                lost++;
            }
        }

        return lost + stored.Count; // stored paths no longer in the tree
    }

    /// <summary>Reads the whole file; returns its length.</summary>
    private sealed class LengthExtractor : IExtractor
    {
        public async ValueTask<ReadOnlyMemory<byte>> ExtractAsync(ExtractionContext context, PipeReader content, CancellationToken cancellationToken)
        {
            long length = 0;
            while (true)
            {
                var result = await content.ReadAsync(cancellationToken).ConfigureAwait(false);
                length += result.Buffer.Length;
                content.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return Encoding.UTF8.GetBytes($"{{\"length\":{length}}}");
                }
            }
        }
    }

    /// <summary>Sums the <c>taskrunner.extraction.*</c> counters.</summary>
    private sealed class Counters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

        public Counters()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "TaskRunner" && instrument.Name.StartsWith("taskrunner.extraction.", StringComparison.Ordinal) && instrument is Counter<long>)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var name = instrument.Name["taskrunner.extraction.".Length..];
                _sums.AddOrUpdate(name, value, (_, sum) => sum + value);
                foreach (var tag in tags)
                {
                    if (tag.Key is "reason" or "kind")
                    {
                        _sums.AddOrUpdate($"{name}_{tag.Value}", value, (_, sum) => sum + value);
                    }
                }
            });
            _listener.Start();
        }

        public long this[string name] => _sums.GetValueOrDefault(name);

        public void Dispose() => _listener.Dispose();
    }
}
