using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using TaskRunner.Diagnostics;

namespace TaskRunner;

/// <summary>The <see cref="IJobClient"/>: validates and serializes, stores, and wakes the local poller.</summary>
internal sealed partial class JobClient(
    IJobStore store,
    JobRegistry registry,
    IOptions<TaskRunnerOptions> options,
    TimeProvider timeProvider,
    LocalSignals signals,
    TaskRunnerDiagnostics diagnostics,
    JobEvents events,
    DueTimeWaker dueTimes) : IJobClient, IJobSubmitter
{
    private const int MaxKeyLength = 200;
    private static readonly TimeSpan BatchRecheckInterval = TimeSpan.FromSeconds(1);
    private readonly TaskRunnerOptions _options = options.Value;

    public async ValueTask<JobId> EnqueueAsync<TPayload>(TPayload payload, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        var registration = registry.GetForPayload(typeof(TPayload));
        registration.CheckPayload(payload, nameof(payload));
        return (await StoreAsync([Build(registration, Serialize(payload), options, null)], cancellationToken).ConfigureAwait(false))[0].Id;
    }

    public async ValueTask<JobId> EnqueueAsync<TPayload>(string jobName, TPayload payload, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        var registration = registry.Get(jobName);
        registration.CheckPayload(payload, nameof(payload));
        return (await StoreAsync([Build(registration, Serialize(payload), options, null)], cancellationToken).ConfigureAwait(false))[0].Id;
    }

    public async ValueTask<IReadOnlyList<JobId>> EnqueueManyAsync<TPayload>(IEnumerable<TPayload> payloads, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        var jobs = BuildMany(payloads, options, null);
        var results = await StoreAsync(jobs, cancellationToken).ConfigureAwait(false);
        var ids = new JobId[results.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = results[i].Id;
        }

        return ids;
    }

    public async ValueTask<BatchId> EnqueueBatchAsync<TPayload>(IEnumerable<TPayload> payloads, JobOptions? options = null, JobContinuation? continuation = null, CancellationToken cancellationToken = default)
    {
        var batchId = BatchId.New();
        var jobs = BuildMany(payloads, options, batchId);
        NewJob? next = null;
        if (continuation is not null)
        {
            var registration = continuation.JobName is { } name ? registry.Get(name) : registry.GetForPayload(continuation.PayloadType);
            registration.CheckPayload(continuation.Payload, nameof(continuation));
            next = Build(registration, JsonSerializer.SerializeToUtf8Bytes(continuation.Payload, continuation.PayloadType, _options.JsonSerializerOptions), continuation.Options, null);
            CheckPayloadSize(next.Payload.Length);
        }

        var now = timeProvider.GetUtcNow();
        var results = await store.CreateBatchAsync(new NewBatch { Id = batchId, Jobs = jobs, Continuation = next }, now, cancellationToken).ConfigureAwait(false);
        Accepted(jobs, results, now);
        return batchId;
    }

    public ValueTask<BatchStatus?> GetBatchAsync(BatchId id, CancellationToken cancellationToken = default) =>
        store.GetBatchAsync(id, cancellationToken);

    public async ValueTask<BatchStatus> WaitForBatchAsync(BatchId id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            // Take the signal before reading, so an outcome written in between is not missed.
            var finished = signals.JobsFinished;
            var status = await store.GetBatchAsync(id, cancellationToken).ConfigureAwait(false)
                ?? throw new ArgumentException($"Batch '{id}' does not exist.", nameof(id));
            if (status.IsFinished)
            {
                return status;
            }

            // Local outcomes signal at once; outcomes written by other processes are seen at the recheck.
            await Task.WhenAny(finished, Task.Delay(BatchRecheckInterval, timeProvider, cancellationToken)).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public ValueTask<JobRecord?> GetAsync(JobId id, CancellationToken cancellationToken = default) =>
        store.GetAsync(id, cancellationToken);

    public async ValueTask<CancelResult> CancelAsync(JobId id, CancellationToken cancellationToken = default)
    {
        var result = await store.CancelAsync(id, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (result == CancelResult.Cancelled)
        {
            signals.NotifyJobsFinished(); // an outcome no worker reports: waiters for this job see it at once
        }

        return result;
    }

    public ValueTask<IReadOnlyList<JobRecord>> ListDeadLettersAsync(string? queue = null, int limit = 100, JobId? afterId = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return store.ListAsync(new JobQuery { State = JobState.DeadLettered, Queue = queue, Limit = limit, AfterId = afterId }, cancellationToken);
    }

    public async ValueTask<bool> RequeueAsync(JobId id, CancellationToken cancellationToken = default)
    {
        var requeued = await store.RequeueAsync(id, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (requeued)
        {
            signals.WakeAll();
        }

        return requeued;
    }

    public ValueTask<bool> DeleteAsync(JobId id, CancellationToken cancellationToken = default) => store.DeleteAsync(id, cancellationToken);

    public ValueTask<int> PurgeDeadLettersAsync(DateTimeOffset? finishedBefore = null, CancellationToken cancellationToken = default) =>
        store.PurgeAsync(new PurgeRequest { State = JobState.DeadLettered, FinishedBefore = finishedBefore, MaxCount = int.MaxValue }, cancellationToken);

    async ValueTask<EnqueueResult> IJobSubmitter.SubmitAsync(string jobName, ReadOnlyMemory<byte> payload, JobOptions? options, string? idempotencyKey, DateTimeOffset? occurrenceAt, CancellationToken cancellationToken)
    {
        CheckPayloadSize(payload.Length);
        var job = Build(registry.Get(jobName), payload, options, null, idempotencyKey);
        if (occurrenceAt is not null)
        {
            job = CopyWithOccurrence(job, occurrenceAt.Value);
        }

        return (await StoreAsync([job], cancellationToken).ConfigureAwait(false))[0];
    }

    void IJobSubmitter.Wake() => signals.WakeAll();

    private async ValueTask<IReadOnlyList<EnqueueResult>> StoreAsync(NewJob[] jobs, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var results = await store.EnqueueAsync(jobs, now, cancellationToken).ConfigureAwait(false);
        Accepted(jobs, results, now);
        return results;
    }

    private void Accepted(NewJob[] jobs, IReadOnlyList<EnqueueResult> results, DateTimeOffset now)
    {
        string? lastQueue = null;
        for (var i = 0; i < results.Count; i++)
        {
            if (!results[i].Created)
            {
                continue;
            }

            var job = jobs[i];
            diagnostics.Enqueued.Add(1, new KeyValuePair<string, object?>("queue", job.Queue));
            if (events.HasObservers)
            {
                events.Raise(new JobEvent { Kind = JobEventKind.Enqueued, JobId = results[i].Id, JobName = job.Name, Queue = job.Queue, Timestamp = now });
            }

            if (job.RunAt > now)
            {
                dueTimes.Notify(job.RunAt); // it sleeps until the earliest run-at, which may now be this one
            }
            else if (!ReferenceEquals(job.Queue, lastQueue))
            {
                signals.Wake(job.Queue);
                lastQueue = job.Queue;
            }
        }
    }

    private NewJob[] BuildMany<TPayload>(IEnumerable<TPayload> payloads, JobOptions? options, BatchId? batchId)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        var registration = registry.GetForPayload(typeof(TPayload));
        if (payloads.TryGetNonEnumeratedCount(out var count))
        {
            // The usual case (arrays, lists): fill the result directly instead of a list copied to an array.
            var built = new NewJob[count];
            var i = 0;
            foreach (var payload in payloads)
            {
                registration.CheckPayload(payload, nameof(payloads));
                built[i++] = Build(registration, Serialize(payload), options, batchId);
            }

            return i == count ? built : built[..i];
        }

        var jobs = new List<NewJob>(16);
        foreach (var payload in payloads)
        {
            registration.CheckPayload(payload, nameof(payloads));
            jobs.Add(Build(registration, Serialize(payload), options, batchId));
        }

        return [.. jobs];
    }

    private byte[] Serialize<TPayload>(TPayload payload)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(payload, _options.JsonSerializerOptions);
        CheckPayloadSize(bytes.Length);
        return bytes;
    }

    private void CheckPayloadSize(int length)
    {
        if (length > _options.MaxPayloadBytes)
        {
#pragma warning disable CA2208 // The caller's parameter is the payload: name it, not this helper's argument.
            throw new ArgumentException(
                $"The payload is {length} bytes; TaskRunnerOptions.MaxPayloadBytes allows at most {_options.MaxPayloadBytes}.", "payload");
#pragma warning restore CA2208
        }
    }

    private NewJob Build(JobRegistration registration, ReadOnlyMemory<byte> payload, JobOptions? options, BatchId? batchId, string? idempotencyKey = null)
    {
        var defaults = registration.Defaults;
        var queue = options?.Queue ?? defaults.Queue ?? JobOptions.DefaultQueue;
        QueueNames.ThrowIfInvalid(queue, nameof(options));
        var maxAttempts = options?.MaxAttempts ?? defaults.MaxAttempts ?? _options.DefaultMaxAttempts;
        if (maxAttempts is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), maxAttempts, $"MaxAttempts of job '{registration.Name}' is {maxAttempts}; it must be between 1 and 1000.");
        }

        var timeout = options?.Timeout ?? defaults.Timeout;
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), t, $"Timeout of job '{registration.Name}' is {t}; it must be positive.");
        }

        var concurrencyLimit = options?.ConcurrencyLimit ?? defaults.ConcurrencyLimit ?? 1;
        if (concurrencyLimit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), concurrencyLimit, $"ConcurrencyLimit of job '{registration.Name}' is {concurrencyLimit}; it must be between 1 and 10000.");
        }

        var delay = options?.Delay ?? defaults.Delay;
        if (delay is { } d && d < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), d, $"Delay of job '{registration.Name}' is {d}; it must not be negative.");
        }

        var uniqueKey = CheckKey(options?.UniqueKey ?? defaults.UniqueKey, "UniqueKey");
        var debounce = options?.DebounceMaxDelay;
        if (debounce is { } max && (max <= TimeSpan.Zero || uniqueKey is null))
        {
            throw new ArgumentOutOfRangeException(nameof(options), max,
                $"DebounceMaxDelay of job '{registration.Name}' is {max}; it must be positive and needs a UniqueKey to debounce on.");
        }

        return new NewJob
        {
            Name = registration.Name,
            Payload = payload,
            Queue = queue,
            Priority = options?.Priority ?? defaults.Priority ?? 0,
            RunAt = options?.RunAt ?? timeProvider.GetUtcNow() + (delay ?? TimeSpan.Zero),
            MaxAttempts = maxAttempts,
            Timeout = timeout,
            UniqueKey = uniqueKey,
            DebounceMaxDelay = debounce,

            // A debounced job queued behind a running one must not overlap it: by default they share a concurrency key.
            ConcurrencyKey = CheckKey(options?.ConcurrencyKey ?? defaults.ConcurrencyKey ?? (debounce is null ? null : uniqueKey), "ConcurrencyKey"),
            ConcurrencyLimit = concurrencyLimit,
            IdempotencyKey = CheckKey(idempotencyKey, "IdempotencyKey"),
            Tags = options?.Tags ?? defaults.Tags ?? [],
            BatchId = batchId,
            TraceParent = Activity.Current?.Id,
        };
    }

    private static NewJob CopyWithOccurrence(NewJob job, DateTimeOffset occurrenceAt) => new()
    {
        Name = job.Name,
        Payload = job.Payload,
        Queue = job.Queue,
        Priority = job.Priority,
        RunAt = job.RunAt,
        MaxAttempts = job.MaxAttempts,
        Timeout = job.Timeout,
        UniqueKey = job.UniqueKey,
        ConcurrencyKey = job.ConcurrencyKey,
        ConcurrencyLimit = job.ConcurrencyLimit,
        IdempotencyKey = job.IdempotencyKey,
        Tags = job.Tags,
        BatchId = job.BatchId,
        TraceParent = job.TraceParent,
        OccurrenceAt = occurrenceAt,
    };

    private static string? CheckKey(string? key, string option) =>
        key is not null && (key.Length is 0 or > MaxKeyLength)
            ? throw new ArgumentException($"{option} '{key}' is invalid: it must be 1–{MaxKeyLength} characters.", option)
            : key;
}
