using System.Buffers;
using System.IO.Pipelines;
using TaskRunner.Extraction;

namespace TaskRunner.Tests.Extraction;

public sealed class HashingPipeReaderTests
{
    [Theory]
    [InlineData(0)]        // the extractor reads nothing: the hash reads it all
    [InlineData(1)]        // consumes the first segment only
    [InlineData(-1)]       // reads it all, as most extractors do
    public async Task The_hash_covers_every_byte_once_however_much_the_extractor_reads(int segmentsRead)
    {
        var content = new byte[300_000];
        new Random(7).NextBytes(content);
        var reads = 0;
        using var stream = new CountingStream(content, () => reads++);
        var reader = new HashingPipeReader(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096)));

        for (var i = 0; segmentsRead < 0 || i < segmentsRead; i++)
        {
            var result = await reader.ReadAsync();
            if (segmentsRead < 0)
            {
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }

                continue;
            }

            var half = result.Buffer.Slice(0, result.Buffer.Length / 2); // consume part, examine all: the rest comes again
            reader.AdvanceTo(half.End, result.Buffer.End);
        }

        reader.Complete();
        var hash = await reader.FinishAsync(CancellationToken.None);

        Assert.Equal(ExtractionHost.HashOf(content), hash);
        Assert.Equal(content.Length, reader.Length);
        Assert.True(stream.BytesRead == content.Length, $"the file is read once: {stream.BytesRead} bytes read of {content.Length}");
    }

    private sealed class CountingStream(byte[] content, Action onRead) : MemoryStream(content)
    {
        public long BytesRead { get; private set; }

        // The pipe reads through this overload only (MemoryStream's own implementation may call its synchronous Read).
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            onRead();
            var n = await base.ReadAsync(buffer, cancellationToken);
            BytesRead += n;
            return n;
        }
    }
}
