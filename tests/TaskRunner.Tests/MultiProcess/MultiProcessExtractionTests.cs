using TaskRunner.Tests.Extraction;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>Two real processes watching one tree on one SQLite store.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessExtractionTests
{
    [Fact]
    public async Task Two_processes_sharing_a_store_and_a_root_extract_each_change_once()
    {
        const int Files = 40;
        using var tree = new TestTree();
        await using var db = await SharedDatabase.CreateAsync();
        var log = db.File("extract.log");
        var workers = new[]
        {
            db.StartWorker("extract", "--log", log, "--root", tree.Root),
            db.StartWorker("extract", "--log", log, "--root", tree.Root),
        };
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }

        // Both watchers see every change and both queue it: the path's key makes it one job, run by one of them.
        for (var i = 0; i < Files; i++)
        {
            tree.Write($"f{i}.txt", $"content {i}");
        }

        var extracted = await WaitForPathsAsync(log, Files);

        // Let any duplicate work surface: stop both, then nothing for the tree may be left waiting in the store.
        foreach (var worker in workers)
        {
            worker.CloseInput();
        }

        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(60));
        }

        var lines = File.ReadAllLines(log).Select(l => l.Split(' ')[0]).ToList();
        Assert.Equal(Files, lines.Count);
        Assert.Equal(Files, lines.Distinct().Count());
        var counts = await db.Store.CountAsync("extract.docs");
        Assert.Equal(0, counts.Scheduled + counts.Pending + counts.Running + counts.Failed);
        Assert.True(extracted.Count == Files);
    }

    private static async Task<HashSet<string>> WaitForPathsAsync(string log, int count)
    {
        // The workers write the log; the test can only look at it. Bounded: a missing extraction fails the test.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        for (var i = 0; i < 1200; i++)
        {
            if (File.Exists(log))
            {
                var paths = File.ReadAllLines(log).Select(l => l.Split(' ')[0]).ToHashSet();
                if (paths.Count >= count)
                {
                    return paths;
                }
            }

            await timer.WaitForNextTickAsync();
        }

        Assert.Fail($"Not every file was extracted within 60 s: {(File.Exists(log) ? File.ReadAllLines(log).Length : 0)} lines.");
        return [];
    }
}
