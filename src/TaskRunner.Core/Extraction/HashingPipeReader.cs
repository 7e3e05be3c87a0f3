using System.Buffers;
using System.IO.Hashing;
using System.IO.Pipelines;

namespace TaskRunner.Extraction;

/// <summary>
/// Lets the extractor and the content hash read a file once, together: the extractor reads through this reader, and
/// every byte it consumes (passes in <see cref="AdvanceTo(SequencePosition, SequencePosition)"/>) is hashed on the way;
/// <see cref="FinishAsync"/> then reads and hashes whatever the extractor left. XxHash128 (System.IO.Hashing): a fast,
/// well-kept non-cryptographic hash, 128 bits so that 100,000s of files do not collide by chance.
/// </summary>
internal sealed class HashingPipeReader(PipeReader inner) : PipeReader
{
    private readonly XxHash128 _hash = new();
    private ReadOnlySequence<byte> _last;
    private bool _holding;
    private long _length;

    /// <summary>The bytes hashed so far.</summary>
    public long Length => _length;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Hold(result.Buffer);
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Hold(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_holding)
        {
            // Each read starts where the last one consumed up to, so every byte is hashed exactly once.
            var taken = _last.Slice(_last.Start, consumed);
            foreach (var segment in taken)
            {
                _hash.Append(segment.Span);
            }

            _length += taken.Length;
            _holding = false;
        }

        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    // The extractor is done with it; the file is read to the end and closed by FinishAsync.
    public override void Complete(Exception? exception = null)
    {
    }

    /// <summary>Reads and hashes the rest of the content, closes the file and returns the hash (lowercase hex).</summary>
    public async ValueTask<string> FinishAsync(CancellationToken cancellationToken)
    {
        if (_holding)
        {
            inner.AdvanceTo(_last.Start); // the extractor returned without consuming its last read: that content is read again here
            _holding = false;
        }

        while (true)
        {
            var result = await ReadAsync(cancellationToken).ConfigureAwait(false);
            AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }

        await inner.CompleteAsync().ConfigureAwait(false);
        return Convert.ToHexStringLower(_hash.GetCurrentHash());
    }

    private void Hold(ReadOnlySequence<byte> buffer)
    {
        _last = buffer;
        _holding = true;
    }
}
