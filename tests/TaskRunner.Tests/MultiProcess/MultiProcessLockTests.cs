using System.Globalization;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>One SQLite lock contended by several real processes.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessLockTests
{
    [Fact]
    public async Task Three_processes_contending_for_one_lock_never_overlap_and_get_strictly_increasing_fencing_tokens()
    {
        const int Processes = 3;
        const int Iterations = 100;
        await using var db = await SharedDatabase.CreateAsync();
        var log = db.File("lock.log");
        var workers = Enumerable.Range(0, Processes)
            .Select(_ => db.StartWorker("lock", "--log", log, "--name", "shared-resource", "--iterations", Iterations.ToString(CultureInfo.InvariantCulture)))
            .ToArray();
        foreach (var worker in workers)
        {
            await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }

        // All start contending at (nearly) the same moment.
        foreach (var worker in workers)
        {
            await worker.SendLineAsync("go");
        }

        foreach (var worker in workers)
        {
            await worker.WaitForSuccessfulExitAsync(TimeSpan.FromSeconds(90));
        }

        // Each holder writes "enter" and "exit" inside its critical section, so with mutual exclusion the shared log is a
        // strict alternation enter/exit of the same holder, and the tokens grow from one section to the next.
        var lines = File.ReadAllLines(log).Select(Parse).ToList();
        Assert.Equal(Processes * Iterations * 2, lines.Count);
        long previousToken = 0;
        for (var i = 0; i < lines.Count; i += 2)
        {
            var (enter, exit) = (lines[i], lines[i + 1]);
            Assert.True(enter.Kind == "enter" && exit.Kind == "exit", $"Critical sections overlap at log line {i + 1}: {enter} then {exit}.");
            Assert.True(enter.Token == exit.Token && enter.ProcessId == exit.ProcessId, $"Critical sections overlap at log line {i + 1}: {enter} then {exit}.");
            Assert.True(enter.Token > previousToken, $"Fencing token {enter.Token} at log line {i + 1} does not exceed the previous holder's {previousToken}.");
            previousToken = enter.Token;
        }

        foreach (var worker in workers)
        {
            Assert.Equal(Iterations, lines.Count(l => l.Kind == "enter" && l.ProcessId == worker.Id));
        }
    }

    private static (string Kind, long Token, int ProcessId) Parse(string line)
    {
        var parts = line.Split(' ');
        return (parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
    }
}
