using System.Runtime.CompilerServices;

namespace TaskRunner;

/// <summary>Seeing jobs from code (<see cref="IJobClient"/>'s query members).</summary>
internal sealed partial class JobClient
{
    /// <summary>How often a wait re-reads the store for an outcome written by another process; local outcomes wake it at once.</summary>
    private static readonly TimeSpan JobRecheckInterval = TimeSpan.FromSeconds(1);

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        return store.ListAsync(query, cancellationToken);
    }

    public async IAsyncEnumerable<JobRecord> ListAllAsync(JobQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.ThrowIfInvalid();
        var page = query;
        while (true)
        {
            var records = await store.ListAsync(page, cancellationToken).ConfigureAwait(false);
            foreach (var record in records)
            {
                yield return record;
            }

            if (records.Count < page.Limit)
            {
                yield break;
            }

            page = page with { AfterId = records[^1].Id };
        }
    }

    public ValueTask<JobCounts> CountAsync(JobQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new JobQuery();
        query.ThrowIfInvalid();
        return store.CountMatchingAsync(query, cancellationToken);
    }

    public async ValueTask<JobRecord> WaitForJobAsync(JobId id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            // Take the signal before reading, so an outcome written in between is not missed.
            var finished = signals.JobsFinished;
            var record = await ReadAsync(id, cancellationToken).ConfigureAwait(false);
            if (record.State.IsFinished())
            {
                return record;
            }

            // Local outcomes (a worker's report, this client's cancel of a waiting job) signal at once; outcomes written by
            // other processes are seen at the recheck.
            await Task.WhenAny(finished, Task.Delay(JobRecheckInterval, timeProvider, cancellationToken)).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public async ValueTask<TResult?> GetResultAsync<TResult>(JobId id, CancellationToken cancellationToken = default) =>
        (await ReadAsync(id, cancellationToken).ConfigureAwait(false)).GetResult<TResult>(_options.JsonSerializerOptions);

    public async ValueTask<TResult?> WaitForResultAsync<TResult>(JobId id, CancellationToken cancellationToken = default)
    {
        var record = await WaitForJobAsync(id, cancellationToken).ConfigureAwait(false);
        if (record.State != JobState.Succeeded)
        {
            throw new InvalidOperationException(
                $"Job {record.Id} ('{record.Name}') finished {record.State}, so it has no result" +
                (record.LastError is { } error ? $"; its last error: {error.Type}: {error.Message}" : "."));
        }

        return record.GetResult<TResult>(_options.JsonSerializerOptions);
    }

    public async ValueTask<TPayload?> GetPayloadAsync<TPayload>(JobId id, CancellationToken cancellationToken = default) =>
        (await ReadAsync(id, cancellationToken).ConfigureAwait(false)).GetPayload<TPayload>(_options.JsonSerializerOptions);

    private async ValueTask<JobRecord> ReadAsync(JobId id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new ArgumentException($"Job {id} does not exist (it may have been purged).", nameof(id));
}
