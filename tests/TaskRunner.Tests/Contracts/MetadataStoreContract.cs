using System.Text;
using TaskRunner.Extraction;

namespace TaskRunner.Tests.Contracts;

/// <summary>The behaviour every <see cref="IMetadataStore"/> must have (SPEC §7).</summary>
/// <typeparam name="TFactory">The backend's factory.</typeparam>
public abstract class MetadataStoreContract<TFactory> : StoreContract<TFactory>
    where TFactory : IStoreFactory, new()
{
    private IMetadataStore Store => Factory.MetadataStore;

    [Fact]
    public async Task Upsert_inserts_and_get_reads_every_field()
    {
        var metadata = Metadata("docs/a.txt") with { Metadata = Encoding.UTF8.GetBytes("""{"words":3}""") };

        await Store.UpsertAsync(metadata);
        var read = await Store.GetAsync("docs/a.txt");

        Assert.NotNull(read);
        Assert.Equal("docs/a.txt", read.Path);
        Assert.Equal(1234, read.Size);
        Assert.Equal(T0.AddDays(-1), read.LastWriteUtc);
        Assert.Equal("ab12", read.ContentHash);
        Assert.Equal(metadata.Metadata.ToArray(), read.Metadata.ToArray());
        Assert.Equal(T0, read.ExtractedAt);
        Assert.Null(read.Error);
        Assert.Null(await Store.GetAsync("docs/missing.txt"));
    }

    [Fact]
    public async Task Upsert_replaces_a_record_including_its_error()
    {
        await Store.UpsertAsync(Metadata("a"));
        var error = new JobError("System.IO.IOException", "locked", "at Extractor.Read()");

        await Store.UpsertAsync(Metadata("a") with { Size = 99, ContentHash = "ff00", Metadata = ReadOnlyMemory<byte>.Empty, Error = error });

        var read = (await Store.GetAsync("a"))!;
        Assert.Equal(99, read.Size);
        Assert.Equal("ff00", read.ContentHash);
        Assert.True(read.Metadata.IsEmpty);
        Assert.Equal(error, read.Error);

        await Store.UpsertAsync(Metadata("a"));
        Assert.Null((await Store.GetAsync("a"))!.Error);
    }

    [Fact]
    public async Task Remove_deletes_a_record_once()
    {
        await Store.UpsertAsync(Metadata("a"));

        Assert.True(await Store.RemoveAsync("a"));
        Assert.False(await Store.RemoveAsync("a"));
        Assert.Null(await Store.GetAsync("a"));
    }

    [Fact]
    public async Task List_returns_every_record()
    {
        var paths = Enumerable.Range(0, 620).Select(i => $"dir{i % 7}/file-{i:D4}.txt").ToList();
        foreach (var path in paths)
        {
            await Store.UpsertAsync(Metadata(path));
        }

        await Store.RemoveAsync(paths[3]);

        var listed = new List<string>();
        await foreach (var record in Store.ListAsync())
        {
            listed.Add(record.Path);
        }

        Assert.Equal(paths.Where(p => p != paths[3]).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    private static FileMetadata Metadata(string path) => new()
    {
        Path = path,
        Size = 1234,
        LastWriteUtc = T0.AddDays(-1),
        ContentHash = "ab12",
        ExtractedAt = T0,
    };
}
