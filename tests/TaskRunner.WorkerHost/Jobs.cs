namespace TaskRunner.WorkerHost;

/// <summary>The payload of the "record" jobs the tests enqueue (JSON <c>{"value":n}</c>).</summary>
internal sealed record Record(long Value);

/// <summary>The payload of the per-second recurring "tick" job.</summary>
internal sealed record Tick;

/// <summary>How long each "record" job works before it completes (<c>--work-ms</c>, default none).</summary>
internal sealed record RecordWork(TimeSpan Duration, bool Echo = false);

/// <summary>Works for <see cref="RecordWork"/> (if any), then appends <c>&lt;job id&gt; &lt;value&gt; &lt;pid&gt;</c>: one line
/// per handler that ran to completion.</summary>
internal sealed class RecordHandler(AppendOnlyLog log, RecordWork? work = null) : IJobHandler<Record>
{
    public async ValueTask ExecuteAsync(Record payload, JobContext context)
    {
        if (work is { Duration: var duration } && duration > TimeSpan.Zero)
        {
            await Task.Delay(duration, context.CancellationToken).ConfigureAwait(false);
        }

        log.Append($"{context.JobId} {payload.Value} {Environment.ProcessId}");
        if (work is { Echo: true })
        {
            Console.WriteLine($"done {payload.Value}");
        }
    }
}

/// <summary>Announces the job on stdout and then never returns (ignoring its token), so the test can kill the process mid-job.</summary>
internal sealed class BlockingHandler : IJobHandler<Record>
{
    public async ValueTask ExecuteAsync(Record payload, JobContext context)
    {
        Console.WriteLine($"running {context.JobId} {context.Attempt}");
        await Task.Delay(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
    }
}

/// <summary>Appends <c>&lt;occurrence key&gt; &lt;job id&gt; &lt;pid&gt;</c> for every run of the recurring job, and echoes the key on stdout.</summary>
internal sealed class TickHandler(AppendOnlyLog log, IJobStore store) : IJobHandler<Tick>
{
    public async ValueTask ExecuteAsync(Tick payload, JobContext context)
    {
        // The occurrence is the job's idempotency key, which the scheduler sets; read it back from the store.
        var job = await store.GetAsync(context.JobId, context.CancellationToken).ConfigureAwait(false);
        var key = job?.IdempotencyKey ?? "none";
        log.Append($"{key} {context.JobId} {Environment.ProcessId}");
        Console.WriteLine($"tick {key}");
    }
}
