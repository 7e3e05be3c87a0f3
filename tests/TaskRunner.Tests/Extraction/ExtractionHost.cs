using System.IO.Hashing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Extraction;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Extraction;

/// <summary>A real host on a fake clock running one extraction pipeline ("docs") over a real temporary tree.</summary>
internal sealed class ExtractionHost : IAsyncDisposable
{
    private ExtractionHost(RunnerHost runner, TestTree tree, TestExtractor extractor)
    {
        Counts = new MeterCounts(runner.Services);
        Runner = runner;
        Tree = tree;
        Extractor = extractor;
    }

    public RunnerHost Runner { get; }

    /// <summary>The host's TaskRunner counters, listened to from before it started.</summary>
    public MeterCounts Counts { get; }

    public TestTree Tree { get; }

    public TestExtractor Extractor { get; }

    public FakeTimeProvider Time => Runner.Time;

    public ExtractionPipeline Pipeline => Runner.Services.GetRequiredKeyedService<ExtractionPipeline>("docs");

    public IFileExtractionPipeline View => Runner.Services.GetRequiredKeyedService<IFileExtractionPipeline>("docs");

    public static async Task<ExtractionHost> StartAsync(TestTree tree, Action<FileExtractionOptions>? configure = null,
        Action<ITaskRunnerBuilder>? backend = null, TestExtractor? extractor = null, FakeTimeProvider? time = null)
    {
        extractor ??= new TestExtractor();
        var runner = RunnerHost.Create(
            b =>
            {
                backend?.Invoke(b);
                b.Configure(o =>
                {
                    o.RetryBaseDelay = TimeSpan.FromSeconds(1);
                    o.RetryMaxDelay = TimeSpan.FromSeconds(1);
                });
                b.AddFileExtraction<TestExtractor>("docs", tree.Root, o =>
                {
                    o.DebounceDelay = TimeSpan.FromSeconds(1);
                    o.MaxDelay = TimeSpan.FromSeconds(30);
                    configure?.Invoke(o);
                });
            },
            time,
            s => s.AddMetrics().AddSingleton(extractor));
        var host = new ExtractionHost(runner, tree, extractor);
        await runner.Host.StartAsync();
        await host.Pipeline.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    /// <summary>Runs the pipeline until <paramref name="done"/> holds and no path work is left: whenever only delayed work
    /// (debounced paths, retries) remains, the clock jumps to its run-at; otherwise it waits for the next finished job or
    /// queued change. The bounded wait only guards against an event that never comes (inotify delivers asynchronously).</summary>
    public async Task SettleAsync(Func<bool> done, int rounds = 400)
    {
        var signals = Runner.Services.GetRequiredService<LocalSignals>();
        var enqueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Pipeline.Enqueued = _ => enqueued.TrySetResult();
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                var finished = signals.JobsFinished;
                var counts = await Runner.Store.CountAsync(Pipeline.Queue);
                var waiting = counts.Scheduled + counts.Pending + counts.Running + counts.Failed;
                if (waiting == 0 && Pipeline.QueueLength == 0 && done())
                {
                    return;
                }

                if (counts.Pending + counts.Running == 0 && counts.Scheduled + counts.Failed > 0
                    && await Runner.Store.GetNextRunAtAsync(Time.GetUtcNow()) is { } next && next > Time.GetUtcNow())
                {
                    Time.SetUtcNow(next);
                }

                await Task.WhenAny(finished, enqueued.Task).WaitAsync(TimeSpan.FromMilliseconds(250)).ContinueWith(_ => { }, TaskScheduler.Default);
                if (enqueued.Task.IsCompleted)
                {
                    enqueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            var left = Runner.Store.CountAsync(Pipeline.Queue).AsTask().Result;
            Assert.Fail($"The pipeline did not settle: scheduled {left.Scheduled}, pending {left.Pending}, running {left.Running}, failed {left.Failed}, change queue {Pipeline.QueueLength}, done {done()}");
        }
        finally
        {
            Pipeline.Enqueued = null;
        }
    }

    /// <summary>Asserts that every file of the tree has metadata of its current content and nothing else has any.</summary>
    public void AssertInStep(IEnumerable<string>? expectedPaths = null)
    {
        var expected = (expectedPaths ?? Tree.Files()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, View.List().Select(m => m.Path).ToList());
        foreach (var path in expected)
        {
            var metadata = View.Find(path)!;
            Assert.Equal(HashOf(File.ReadAllBytes(Tree.Full(path))), metadata.ContentHash);
            Assert.Equal(new FileInfo(Tree.Full(path)).Length, metadata.Size); // size and time belong to the content read
            Assert.Equal(File.ReadAllText(Tree.Full(path)), TestExtractor.TextOf(metadata));
        }
    }

    public bool InStep()
    {
        var files = Tree.Files().ToHashSet(StringComparer.Ordinal);
        var stored = View.List();
        return stored.Count == files.Count && stored.All(m => files.Contains(m.Path) && m.ContentHash == HashOf(File.ReadAllBytes(Tree.Full(m.Path))));
    }

    public static string HashOf(byte[] content) => Convert.ToHexStringLower(XxHash128.Hash(content));

    public async ValueTask DisposeAsync()
    {
        await Runner.DisposeAsync();
        Counts.Dispose();
    }
}
