using TaskRunner.Sqlite;

namespace TaskRunner.Tests.Extraction;

/// <summary>Changes made while no process watched are reconciled at start, against the durable store.</summary>
public sealed class ExtractionRestartTests : IDisposable
{
    private readonly TestTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task Changes_made_while_the_process_was_down_are_reconciled_at_start()
    {
        var db = Path.Combine(_tree.Outside, "store.db");
        _tree.Write("same.txt", "unchanged");
        _tree.Write("edited.txt", "before");
        _tree.Write("deleted.txt", "doomed");
        _tree.Write("dir/nested.txt", "nested");
        await using (var first = await ExtractionHost.StartAsync(_tree, backend: b => b.UseSqlite(db)))
        {
            await first.SettleAsync(() => first.View.List().Count == 4);
        }

        // Offline: no watcher sees these.
        _tree.Write("edited.txt", "after, and longer");
        _tree.Delete("deleted.txt");
        _tree.Write("added.txt", "new");
        Directory.Delete(_tree.Full("dir"), recursive: true);

        await using var second = await ExtractionHost.StartAsync(_tree, backend: b => b.UseSqlite(db));
        await second.SettleAsync(second.InStep);

        second.AssertInStep();
        Assert.Equal(["added.txt", "edited.txt"], second.Extractor.Calls.Order(StringComparer.Ordinal)); // same.txt skipped unread
    }
}
