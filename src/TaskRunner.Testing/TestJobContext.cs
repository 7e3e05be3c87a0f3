using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace TaskRunner.Testing;

/// <summary>
/// A <see cref="JobContext"/> for unit-testing a handler without a runner: set what the handler reads (id, attempt, lease
/// token, services...), call the handler, then look at what it reported (<see cref="ProgressReports"/>,
/// <see cref="GetResult{TResult}"/>). <see cref="Cancel"/> fires its token as a timeout, cancel request, lost lease or
/// shutdown would.
/// </summary>
/// <example>
/// <code>
/// var context = new TestJobContext(attempt: 2, leaseToken: 7);
/// await new SendEmailHandler().ExecuteAsync(new SendEmail("a@b.c"), context);
/// Assert.Equal(100, context.LastProgress?.Percent);
/// </code>
/// </example>
public sealed class TestJobContext : JobContext, IDisposable
{
    private static readonly ServiceProvider NoServices = new ServiceCollection().BuildServiceProvider();
    private readonly CancellationTokenSource _cancellation = new();
    private readonly List<ProgressReport> _progress = [];
    private readonly Lock _gate = new();
    private ReadOnlyMemory<byte>? _result;
    private long _leaseToken;

    /// <summary>Creates a context; every argument is what the handler will read, with the runner's usual values by default.</summary>
    /// <param name="jobId">The job's id; job 1 by default.</param>
    /// <param name="jobName">The job name.</param>
    /// <param name="queue">The queue.</param>
    /// <param name="attempt">This attempt's number, from 1.</param>
    /// <param name="maxAttempts">The attempt limit (the runner's default is 10).</param>
    /// <param name="tags">The job's tags.</param>
    /// <param name="batchId">The batch, if any.</param>
    /// <param name="leaseToken">The fencing token of this attempt; <see cref="TakeOver"/> raises it.</param>
    /// <param name="occurrenceAt">The schedule occurrence, for a recurring job.</param>
    /// <param name="continuationOf">The batch whose continuation this job is.</param>
    /// <param name="services">What the handler resolves from <see cref="Services"/>; an empty provider by default.</param>
    /// <param name="jsonSerializerOptions">How results are serialized; the runner's default (<see cref="JsonSerializerDefaults.Web"/>) by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attempt"/> is below 1 or above <paramref name="maxAttempts"/>.</exception>
    public TestJobContext(
        JobId? jobId = null,
        string jobName = "test-job",
        string queue = JobOptions.DefaultQueue,
        int attempt = 1,
        int maxAttempts = 10,
        IReadOnlyList<string>? tags = null,
        BatchId? batchId = null,
        long leaseToken = 1,
        DateTimeOffset? occurrenceAt = null,
        BatchId? continuationOf = null,
        IServiceProvider? services = null,
        JsonSerializerOptions? jsonSerializerOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentException.ThrowIfNullOrEmpty(queue);
        if (attempt < 1 || attempt > maxAttempts)
        {
            throw new ArgumentOutOfRangeException(nameof(attempt), attempt, $"Attempt is {attempt}; it must be between 1 and maxAttempts ({maxAttempts}).");
        }

        JobId = jobId ?? new JobId(1);
        JobName = jobName;
        Queue = queue;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        Tags = tags ?? [];
        BatchId = batchId;
        _leaseToken = leaseToken;
        OccurrenceAt = occurrenceAt;
        ContinuationOf = continuationOf;
        Services = services ?? NoServices;
        JsonSerializerOptions = jsonSerializerOptions ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
    }

    /// <inheritdoc />
    public override JobId JobId { get; }

    /// <inheritdoc />
    public override string JobName { get; }

    /// <inheritdoc />
    public override string Queue { get; }

    /// <inheritdoc />
    public override int Attempt { get; }

    /// <inheritdoc />
    public override int MaxAttempts { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> Tags { get; }

    /// <inheritdoc />
    public override BatchId? BatchId { get; }

    /// <inheritdoc />
    public override long LeaseToken => Volatile.Read(ref _leaseToken);

    /// <inheritdoc />
    public override DateTimeOffset? OccurrenceAt { get; }

    /// <inheritdoc />
    public override BatchId? ContinuationOf { get; }

    /// <inheritdoc />
    public override IServiceProvider Services { get; }

    /// <inheritdoc />
    public override CancellationToken CancellationToken => _cancellation.Token;

    /// <inheritdoc />
    public override IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The options results are serialized with, as the runner's <c>TaskRunnerOptions.JsonSerializerOptions</c>.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; }

    /// <summary>Every progress report, in order.</summary>
    public IReadOnlyList<ProgressReport> ProgressReports
    {
        get
        {
            lock (_gate)
            {
                return [.. _progress];
            }
        }
    }

    /// <summary>The last progress report, if any.</summary>
    public ProgressReport? LastProgress
    {
        get
        {
            lock (_gate)
            {
                return _progress.Count == 0 ? null : _progress[^1];
            }
        }
    }

    /// <summary>Whether the handler set a result.</summary>
    public bool HasResult => _result is not null;

    /// <summary>The result as stored: UTF-8 JSON, or <see langword="null"/> when none was set.</summary>
    public ReadOnlyMemory<byte>? ResultJson => _result;

    /// <summary>Whether <see cref="ReportProgressAsync"/> fails once the token fired, as the runner's does when the lease
    /// was lost (then the report is not stored).</summary>
    /// <value>Defaults to <see langword="false"/>: reports after cancellation are recorded.</value>
    public bool RejectProgressAfterCancel { get; init; }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percent"/> is outside 0 to 100, as the runner rejects it.</exception>
    public override ValueTask ReportProgressAsync(int percent, string? message = null)
    {
        JobProgress.ThrowIfOutOfRange(percent);
        if (RejectProgressAfterCancel)
        {
            _cancellation.Token.ThrowIfCancellationRequested();
        }

        lock (_gate)
        {
            _progress.Add(new ProgressReport(percent, message));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override void SetResult<TResult>(TResult result) =>
        _result = JsonSerializer.SerializeToUtf8Bytes(result, JsonSerializerOptions);

    /// <summary>Reads the result the handler set, as <typeparamref name="TResult"/>.</summary>
    /// <exception cref="InvalidOperationException">The handler set no result.</exception>
    public TResult? GetResult<TResult>() =>
        _result is { } json
            ? JsonSerializer.Deserialize<TResult>(json.Span, JsonSerializerOptions)
            : throw new InvalidOperationException($"The handler of job {JobId} ('{JobName}') set no result.");

    /// <summary>Fires <see cref="CancellationToken"/>, as a timeout, cancel request, lost lease or shutdown does.</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <summary>Fires <see cref="CancellationToken"/> after <paramref name="delay"/> of <paramref name="timeProvider"/>'s time
    /// (a fake clock in tests), as the job's timeout would.</summary>
    public void CancelAfter(TimeSpan delay, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _ = timeProvider.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), _cancellation, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Another worker took the job over: the lease token grows, as on a new claim, and this attempt's token fires.</summary>
    /// <returns>The new owner's token: greater than the one this handler read.</returns>
    public long TakeOver()
    {
        var token = Interlocked.Increment(ref _leaseToken);
        _cancellation.Cancel();
        return token;
    }

    /// <inheritdoc />
    public void Dispose() => _cancellation.Dispose();
}
