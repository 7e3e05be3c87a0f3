using TaskRunner.Extraction;

namespace TaskRunner.Tests.Extraction;

/// <summary>The change feed end to end on real files: a real host, the real watcher, a fake clock for every delay.</summary>
public sealed class ExtractionPipelineTests : IDisposable
{
    private readonly TestTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task A_new_file_is_extracted_and_a_deleted_one_loses_its_metadata()
    {
        await using var host = await ExtractionHost.StartAsync(_tree);
        var changes = new List<MetadataChange>();
        using var subscription = host.View.Subscribe(c => { lock (changes) { changes.Add(c); } });
        var cursor = host.View.Cursor;

        _tree.Write("a.md", "# Title\nline");
        await host.SettleAsync(() => host.View.Find("a.md") is not null);
        host.AssertInStep();
        var stored = host.View.Find("a.md")!;
        Assert.Equal(12, stored.Size);
        Assert.Null(stored.Error);

        _tree.Delete("a.md");
        await host.SettleAsync(() => host.View.Find("a.md") is null);

        Assert.Empty(host.View.List());
        var since = host.View.GetChangesSince(cursor);
        var last = Assert.Single(since); // one path: its latest update, the removal
        Assert.Equal("a.md", last.Path);
        Assert.Null(last.Metadata);
        lock (changes)
        {
            Assert.Equal(["a.md", "a.md"], changes.Select(c => c.Path));
            Assert.NotNull(changes[0].Metadata);
            Assert.Null(changes[1].Metadata);
        }
    }

    [Fact]
    public async Task An_unchanged_file_is_skipped_by_size_and_a_touched_one_by_hash()
    {
        _tree.Write("a.txt", "same");
        await using var host = await ExtractionHost.StartAsync(_tree);
        await host.SettleAsync(() => host.View.Find("a.txt") is not null);
        Assert.Equal(1, host.Extractor.CallsFor("a.txt"));

        // A rescan finds nothing to do: size and time match, the file is not even read.
        host.View.RequestRescan();
        await host.SettleAsync(() => host.View.LastRescanAt is not null);
        Assert.Equal(1, host.Extractor.CallsFor("a.txt"));

        // Touched: the time moved, the content did not. It is read (hashed), the stored metadata is kept, the time updated.
        var touched = DateTime.UtcNow.AddMinutes(5);
        File.SetLastWriteTimeUtc(_tree.Full("a.txt"), touched);
        var before = host.View.Find("a.txt")!;
        await host.SettleAsync(() => host.View.Find("a.txt")!.LastWriteUtc == touched);
        var after = host.View.Find("a.txt")!;
        Assert.Equal(before.ContentHash, after.ContentHash);
        Assert.Equal(before.ExtractedAt, after.ExtractedAt); // not extracted again: skipped by hash
    }

    [Fact]
    public async Task Debounce_moves_a_changed_paths_work_on_and_max_delay_bounds_it_on_the_fake_clock()
    {
        await using var host = await ExtractionHost.StartAsync(_tree, o => o.DebounceDelay = TimeSpan.FromSeconds(10));
        var start = host.Time.GetUtcNow();

        // Each change of a waiting path moves its run-at to 10 s after that change ...
        for (var i = 0; i < 3; i++)
        {
            await WriteAndAwaitQueued(host, "hot.txt", $"v{i}");
            var job = await JobOf(host, "hot.txt");
            Assert.Equal(host.Time.GetUtcNow() + TimeSpan.FromSeconds(10), job.RunAt);
            Assert.Equal(JobState.Scheduled, job.State);
            host.Time.Advance(TimeSpan.FromSeconds(8));
        }

        // ... but never past 30 s (MaxDelay) after the first change, however often it keeps changing: at 24 s, not 34 s.
        await WriteAndAwaitQueued(host, "hot.txt", "v4");
        Assert.Equal(start + TimeSpan.FromSeconds(30), (await JobOf(host, "hot.txt")).RunAt);
        Assert.Equal(0, host.Extractor.CallsFor("hot.txt"));

        await host.SettleAsync(() => host.View.Find("hot.txt") is not null);
        Assert.Equal("v4", TestExtractor.TextOf(host.View.Find("hot.txt")!));
        Assert.Equal(1, host.Extractor.CallsFor("hot.txt"));
    }

    [Fact]
    public async Task A_file_changed_during_its_extraction_is_extracted_again()
    {
        var extracting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var extractor = new TestExtractor();
        var first = 1;
        extractor.Before = async (path, _) =>
        {
            if (path == "doc.txt" && Interlocked.Exchange(ref first, 0) == 1)
            {
                extracting.TrySetResult();
                await release.Task;
            }
        };
        await using var host = await ExtractionHost.StartAsync(_tree, extractor: extractor);

        _tree.Write("doc.txt", "old");
        var settle = host.SettleAsync(() => host.View.Find("doc.txt") is { } m && TestExtractor.TextOf(m) == "new");
        await extracting.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Written while the old content is being read: the pipe still reads the old file, which must not stick.
        File.WriteAllText(_tree.Full("doc.txt"), "new");
        File.SetLastWriteTimeUtc(_tree.Full("doc.txt"), DateTime.UtcNow.AddSeconds(1)); // a distinct time even on coarse clocks
        release.TrySetResult();
        await settle;

        host.AssertInStep();
        Assert.Equal(2, host.Extractor.CallsFor("doc.txt"));
    }

    [Fact]
    public async Task A_file_written_while_it_is_read_is_extracted_again_once_stable_even_with_no_event()
    {
        // Polling once an hour (of a clock that only moves to due work): no change event can arrive during the test, so
        // only the stable-file check (size and time before and after the read) can notice the write.
        _tree.Write("slow.txt", "partial");
        var extracting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var extractor = new TestExtractor();
        var first = 1;
        extractor.Before = async (path, _) =>
        {
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                extracting.TrySetResult();
                await release.Task;
            }
        };
        var start = ExtractionHost.StartAsync(_tree, o =>
        {
            o.ChangeSource = ChangeSourceMode.Polling;
            o.PollingInterval = TimeSpan.FromHours(1);
        }, extractor: extractor);
        await extracting.Task.WaitAsync(TimeSpan.FromSeconds(30));

        File.AppendAllText(_tree.Full("slow.txt"), " and the rest");
        File.SetLastWriteTimeUtc(_tree.Full("slow.txt"), DateTime.UtcNow.AddSeconds(1));
        release.TrySetResult();
        await using var host = await start;
        await host.SettleAsync(() => host.View.Find("slow.txt") is { } m && TestExtractor.TextOf(m) == "partial and the rest");

        host.AssertInStep();
        Assert.Equal(2, host.Extractor.CallsFor("slow.txt"));
        Assert.Equal(1, host.Counts["taskrunner.extraction.requeued"]);
    }

    [Fact]
    public async Task A_burst_with_a_forced_overflow_and_a_full_queue_loses_nothing()
    {
        await using var host = await ExtractionHost.StartAsync(_tree, o =>
        {
            o.QueueSize = 100; // the smallest: the burst below overflows it as well
            o.BatchSize = 100;
        });

        for (var i = 0; i < 400; i++)
        {
            _tree.Write($"d{i % 7}/f{i}.txt", $"first {i}");
        }

        host.Pipeline.Source.SimulateOverflow();
        for (var i = 0; i < 400; i += 3)
        {
            _tree.Write($"d{i % 7}/f{i}.txt", $"second {i}");
        }

        for (var i = 1; i < 400; i += 5)
        {
            _tree.Delete($"d{i % 7}/f{i}.txt");
        }

        File.Move(_tree.Full("d0/f0.txt"), _tree.Full("d0/renamed.txt"));
        host.Pipeline.Source.SimulateOverflow();

        await host.SettleAsync(host.InStep);
        host.AssertInStep();
    }

    [Fact]
    public async Task Ignore_rules_follow_gitignore_with_nested_files_negation_and_configured_globs()
    {
        _tree.Write(".gitignore", "*.log\n!keep.log\nbuild/\n");
        _tree.Write("sub/.gitignore", "!sub-keep.log\nsecret.txt\n");
        await using var host = await ExtractionHost.StartAsync(_tree, o => o.Ignore.Add("*.tmp"));

        string[] ignored = ["a.log", "build/out.txt", "sub/secret.txt", "x.tmp", "sub/deep/y.tmp"];
        string[] kept = ["keep.log", "sub/sub-keep.log", "sub/deep/keep.log", "readme.md", "sub/readme.md"];
        foreach (var path in ignored.Concat(kept))
        {
            _tree.Write(path, path);
        }

        await host.SettleAsync(() => kept.All(p => host.View.Find(p) is not null));
        host.AssertInStep([".gitignore", "sub/.gitignore", .. kept]);
        Assert.DoesNotContain(host.Extractor.Calls, ignored.Contains);
    }

    [Fact]
    public async Task A_link_out_of_the_root_is_refused_and_one_inside_is_followed()
    {
        File.WriteAllText(Path.Combine(_tree.Outside, "secret.txt"), "outside");
        Directory.CreateDirectory(Path.Combine(_tree.Outside, "outdir"));
        File.WriteAllText(Path.Combine(_tree.Outside, "outdir", "x.txt"), "outside");
        _tree.Write("real.txt", "inside");
        File.CreateSymbolicLink(_tree.Full("out.txt"), Path.Combine(_tree.Outside, "secret.txt"));
        File.CreateSymbolicLink(_tree.Full("in.txt"), _tree.Full("real.txt"));
        Directory.CreateSymbolicLink(_tree.Full("outdir"), Path.Combine(_tree.Outside, "outdir"));

        await using var host = await ExtractionHost.StartAsync(_tree);
        await host.SettleAsync(() => host.View.Find("in.txt") is not null);

        Assert.Equal(["in.txt", "real.txt"], host.View.List().Select(m => m.Path));
        Assert.Equal("inside", TestExtractor.TextOf(host.View.Find("in.txt")!));
        Assert.DoesNotContain(host.Extractor.Calls, p => p.StartsWith("out", StringComparison.Ordinal));
        Assert.Null(await host.Pipeline.Source.StatAsync("outdir/x.txt", default)); // not through a linked directory either
        Assert.Null(await host.Pipeline.Source.StatAsync("../secret.txt", default));
    }

    [Fact]
    public async Task A_failing_extraction_is_retried_then_recorded_with_its_error()
    {
        var extractor = new TestExtractor { Fail = (path, attempt) => path == "bad.txt" ? new InvalidDataException($"broken at attempt {attempt}") : null };
        await using var host = await ExtractionHost.StartAsync(_tree, o => o.MaxAttempts = 3, extractor: extractor);

        _tree.Write("bad.txt", "x");
        await host.SettleAsync(() => host.View.Find("bad.txt") is not null);

        var record = host.View.Find("bad.txt")!;
        Assert.Equal(3, host.Extractor.CallsFor("bad.txt"));
        Assert.Equal(typeof(InvalidDataException).FullName, record.Error?.Type);
        Assert.Equal("broken at attempt 3", record.Error?.Message);
        Assert.True(record.Metadata.IsEmpty);
        var dead = Assert.Single(await host.Runner.Client.ListDeadLettersAsync(host.Pipeline.Queue));
        Assert.Equal(host.Pipeline.JobName, dead.Name);
    }

    [Fact]
    public async Task The_polling_source_finds_creates_changes_and_deletes()
    {
        _tree.Write("gone.txt", "soon deleted");
        _tree.Write("kept.txt", "v1");
        await using var host = await ExtractionHost.StartAsync(_tree, o =>
        {
            o.ChangeSource = ChangeSourceMode.Polling;
            o.PollingInterval = TimeSpan.FromSeconds(2);
        });
        await host.SettleAsync(() => host.View.List().Count == 2);
        Assert.True(host.View.Polling);

        _tree.Delete("gone.txt");
        _tree.Write("kept.txt", "v2 longer");
        _tree.Write("new.txt", "new");

        // Nothing is watched: the next poll (2 s on the fake clock) finds the changes.
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await host.SettleAsync(host.InStep);
        host.AssertInStep();
    }

    private static async Task WriteAndAwaitQueued(ExtractionHost host, string path, string text)
    {
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Pipeline.Enqueued = paths =>
        {
            if (paths.Contains(path))
            {
                queued.TrySetResult();
            }
        };
        host.Tree.Write(path, text);
        await queued.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Pipeline.Enqueued = null;
    }

    private static async Task<JobRecord> JobOf(ExtractionHost host, string path)
    {
        var jobs = await host.Runner.Store.ListAsync(new JobQuery { Queue = host.Pipeline.Queue, Limit = 100 });
        return Assert.Single(jobs, j => j.UniqueKey == "extract:docs:" + path);
    }
}
