using System.Diagnostics;

namespace TaskRunner.Extraction;

/// <summary>One path's unit of work: gone → metadata removed; size and write time as stored → skipped unread; otherwise
/// read once through a pipe shared by the extractor and the hash, and stored unless the hash is unchanged or the file
/// changed while it was read (then queued again).</summary>
internal sealed partial class ExtractionPipeline
{
    /// <summary>Runs one path's unit of work (the job handler's body).</summary>
    public async ValueTask ProcessAsync(string path, JobContext context)
    {
        var cancellationToken = context.CancellationToken;
        var entry = await _source.StatAsync(path, cancellationToken).ConfigureAwait(false);
        var stored = await _store.GetAsync(path, cancellationToken).ConfigureAwait(false);
        if (entry is not { } file)
        {
            if (stored is not null)
            {
                await _store.RemoveAsync(path, cancellationToken).ConfigureAwait(false);
                _metrics.Removed.Add(1, _tag);
            }

            _cache.Set(path, null);
            Stored(path, written: stored is not null);
            return;
        }

        if (stored is not null && stored.Size == file.Size && stored.LastWriteUtc == file.LastWriteUtc)
        {
            _metrics.Skipped.Add(1, _tag, new("reason", "size"));
            _cache.Set(path, stored); // another process may have written it
            Stored(path, written: false);
            return;
        }

        HashingPipeReader content;
        try
        {
            content = new HashingPipeReader(await _source.OpenReadAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            await RequeueAsync(path, TimeSpan.Zero, cancellationToken).ConfigureAwait(false); // deleted since the stat: the next run removes it
            return;
        }

        ReadOnlyMemory<byte> output;
        string hash;
        try
        {
            output = await _extractor.ExtractAsync(new ExtractionContext(file, context.Attempt), content, cancellationToken).ConfigureAwait(false);
            hash = await content.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            _metrics.Failures.Add(1, _tag);
            await DrainQuietlyAsync(content).ConfigureAwait(false);
            if (context.Attempt >= context.MaxAttempts)
            {
                // The retries ran out: record the error where host code reads metadata; the job is dead-lettered with it too.
                var failed = new FileMetadata
                {
                    Path = path,
                    Size = file.Size,
                    LastWriteUtc = file.LastWriteUtc,
                    ContentHash = "",
                    ExtractedAt = _time.GetUtcNow(),
                    Error = new JobError(e.GetType().FullName ?? e.GetType().Name, e.Message, e.StackTrace),
                };
                await _store.UpsertAsync(failed, CancellationToken.None).ConfigureAwait(false);
                _cache.Set(path, failed);
                Stored(path, written: true);
            }

            throw;
        }

        // Stable-file check: a file written to while it was read is read again once it has settled.
        if (await _source.StatAsync(path, cancellationToken).ConfigureAwait(false) != file)
        {
            _metrics.Requeued.Add(1, _tag);
            await RequeueAsync(path, _options.DebounceDelay, cancellationToken).ConfigureAwait(false);
            return;
        }

        FileMetadata record;
        if (stored is not null && stored.Error is null && stored.ContentHash == hash)
        {
            _metrics.Skipped.Add(1, _tag, new("reason", "hash"));
            record = stored with { Size = file.Size, LastWriteUtc = file.LastWriteUtc }; // touched, not changed: remember the new time
        }
        else
        {
            _metrics.Extractions.Add(1, _tag);
            record = new FileMetadata
            {
                Path = path,
                Size = file.Size,
                LastWriteUtc = file.LastWriteUtc,
                ContentHash = hash,
                Metadata = output,
                ExtractedAt = _time.GetUtcNow(),
            };
        }

        await _store.UpsertAsync(record, cancellationToken).ConfigureAwait(false);
        _cache.Set(path, record);
        Stored(path, written: true);
    }

    private void Stored(string path, bool written)
    {
        if (_firstSeen.TryRemove(path, out var seen) && written)
        {
            _metrics.Latency.Record(_time.GetElapsedTime(seen).TotalMilliseconds, _tag);
        }
    }

    private static async ValueTask DrainQuietlyAsync(HashingPipeReader content)
    {
        try
        {
            await content.FinishAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Debug.WriteLine(e.Message); // the file is closed either way; the extractor's error is the one that matters
        }
    }
}
