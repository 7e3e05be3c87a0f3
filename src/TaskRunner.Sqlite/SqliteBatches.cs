namespace TaskRunner.Sqlite;

/// <summary>
/// Batches on SQLite: a row in <c>batches</c> per batch, holding its continuation (as <see cref="SqliteJobRows"/> maps a
/// <see cref="NewJob"/>) until the batch's last job finishes; the jobs carry the batch id. Every method runs inside the
/// caller's transaction: the write that finishes a batch's last job enqueues the continuation, so exactly one writer
/// does it.
/// </summary>
internal static class SqliteBatches
{
    /// <summary>Inserts the batch row and the batch's jobs (a write transaction).</summary>
    public static EnqueueResult[] Create(SqliteSession session, NewBatch batch, DateTimeOffset now)
    {
        var id = batch.Id.Value.ToByteArray();
        var insert = session.Statement(SqliteJobSql.InsertBatch);
        SqliteJobRows.BindNewJob(insert, batch.Continuation);
        var next = SqliteJobRows.NewJobColumnCount + 1;
        insert.Bind(next, id);
        insert.Bind(next + 1, now.UtcTicks);
        insert.Bind(next + 2, batch.Continuation is null ? 0 : 1);
        insert.Step();
        insert.Reset();

        var results = SqliteJobStore.InsertAll(session, batch.Jobs, now);

        // An empty batch is finished the moment it exists.
        if (batch.Jobs.Count == 0)
        {
            TryEnqueueContinuation(session, id, now);
        }

        return results;
    }

    /// <summary>Reads a batch's counts by state and its continuation, in one read transaction so they agree.</summary>
    public static BatchStatus? GetStatus(SqliteSession session, BatchId id)
    {
        var key = id.Value.ToByteArray();
        session.Execute("BEGIN");
        try
        {
            var batch = session.Command(SqliteJobSql.Batch, "@id");
            batch.Set(0, key);
            JobId? continuationId;
            using (var reader = batch.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                continuationId = reader.IsDBNull(1) ? null : new JobId(reader.GetInt64(1));
            }

            var counts = session.Command(SqliteJobSql.CountBatch, "@batch_id");
            counts.Set(0, key);
            return new BatchStatus { Id = id, Counts = SqliteJobRows.ReadCounts(counts), ContinuationId = continuationId };
        }
        finally
        {
            session.Execute("COMMIT");
        }
    }

    /// <summary><see cref="TryEnqueueContinuation"/> for the batches of jobs a write just finished.</summary>
    public static void TryEnqueueContinuations(SqliteSession session, List<byte[]> batches, DateTimeOffset now)
    {
        byte[]? previous = null;
        foreach (var batch in batches)
        {
            // Completions of one batch usually arrive together; checking the same batch twice is harmless but wasted.
            if (previous is not null && batch.AsSpan().SequenceEqual(previous))
            {
                continue;
            }

            previous = batch;
            TryEnqueueContinuation(session, batch, now);
        }
    }

    /// <summary>Enqueues the batch's continuation if the batch has one, it was not enqueued yet, and no job of the batch is
    /// unfinished. Runs inside the write transaction that finished a job, so exactly one writer sees the last one finish.</summary>
    public static void TryEnqueueContinuation(SqliteSession session, byte[] batchId, DateTimeOffset now)
    {
        var unfinished = session.Command(SqliteJobSql.BatchUnfinished, "@batch_id");
        unfinished.Set(0, batchId);
        if ((long)unfinished.ExecuteScalar()! != 0)
        {
            return;
        }

        var read = session.Command(SqliteJobSql.Batch, "@id");
        read.Set(0, batchId);
        NewJob continuation;
        using (var reader = read.ExecuteReader())
        {
            if (!reader.Read() || reader.GetInt64(0) == 0 || !reader.IsDBNull(1))
            {
                return;
            }

            continuation = SqliteJobRows.ReadNewJob(reader, 2);
        }

        var result = SqliteJobStore.Insert(session, session.Statement(SqliteJobSql.Insert), continuation, now, batchId);
        var update = session.Command(SqliteJobSql.SetContinuation, "@continuation_id", "@id");
        update.Set(0, result.Id.Value);
        update.Set(1, batchId);
        update.ExecuteNonQuery();
    }
}
