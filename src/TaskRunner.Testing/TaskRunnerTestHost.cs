using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Testing;

/// <summary>
/// Runs a TaskRunner host's jobs deterministically on a fake clock, for integration tests: time moves only when the test
/// moves it (<see cref="AdvanceAsync"/>), <see cref="RunUntilIdleAsync"/> returns once every job due now has finished,
/// and the <c>AssertEnqueued…</c> methods check what was stored.
/// </summary>
/// <example>
/// <code>
/// await using var host = await TaskRunnerTestHost.StartAsync(b => b.AddJob&lt;SendEmailHandler, SendEmail&gt;("send-email"));
/// await host.Client.EnqueueAsync(new SendEmail("a@b.c"), new JobOptions { Delay = TimeSpan.FromMinutes(5) });
/// await host.AssertEnqueuedAsync&lt;SendEmail&gt;(m => m.To == "a@b.c");
/// await host.AdvanceAsync(TimeSpan.FromMinutes(5)); // runs it, and any retries due by then
/// </code>
/// </example>
public sealed class TaskRunnerTestHost : IAsyncDisposable
{
    /// <summary>The fake clock's start when none is given: a fixed instant, so test output does not depend on the day.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(20);
    private static readonly JobState[] UnfinishedStates = [JobState.Pending, JobState.Running, JobState.Scheduled, JobState.Failed];
    private readonly IHost? _ownedHost;
    private readonly LocalSignals _signals;
    private readonly IJobSubmitter _submitter;

    private TaskRunnerTestHost(IServiceProvider services, FakeTimeProvider time, IHost? ownedHost)
    {
        Services = services;
        Time = time;
        _ownedHost = ownedHost;
        _signals = services.GetRequiredService<LocalSignals>();
        _submitter = services.GetRequiredService<IJobSubmitter>();
    }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The clock every part of the runner reads.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>The host's job client.</summary>
    public IJobClient Client => Services.GetRequiredService<IJobClient>();

    /// <summary>The host's job store.</summary>
    public IJobStore Store => Services.GetRequiredService<IJobStore>();

    /// <summary>How long (real time) <see cref="RunUntilIdleAsync"/> waits for due jobs to finish before it fails, naming them.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Builds and starts a generic host with TaskRunner on a fake clock (the in-memory store unless
    /// <paramref name="configure"/> picks another).</summary>
    /// <param name="configure">The same configuration the application's worker passes to <c>AddTaskRunnerWorker</c>.</param>
    /// <param name="services">More registrations (the handlers' dependencies, fakes).</param>
    /// <param name="start">The fake clock's start; <see cref="DefaultStart"/> by default.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<TaskRunnerTestHost> StartAsync(
        Action<ITaskRunnerBuilder> configure,
        Action<IServiceCollection>? services = null,
        DateTimeOffset? start = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var time = new FakeTimeProvider(start ?? DefaultStart);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<TimeProvider>(time);
        services?.Invoke(builder.Services);
        builder.Services.AddTaskRunnerWorker(configure);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new TaskRunnerTestHost(host.Services, time, host);
    }

    /// <summary>Drives a host the test built itself (a <c>WebApplicationFactory</c>, a worker's own host), which must have
    /// <paramref name="time"/> registered as its <see cref="TimeProvider"/>. The caller keeps owning the host.</summary>
    /// <exception cref="InvalidOperationException">The host's <see cref="TimeProvider"/> is not <paramref name="time"/>, or it
    /// has no TaskRunner.</exception>
    public static TaskRunnerTestHost For(IServiceProvider services, FakeTimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(time);
        if (!ReferenceEquals(services.GetService<TimeProvider>(), time))
        {
            throw new InvalidOperationException(
                "The host's TimeProvider is not the FakeTimeProvider given: register it with services.AddSingleton<TimeProvider>(time) before AddTaskRunnerWorker, so the runner reads the clock the test moves.");
        }

        if (services.GetService<LocalSignals>() is null || services.GetService<ITaskRunnerMonitor>() is null)
        {
            throw new InvalidOperationException("The host runs no TaskRunner worker: call services.AddTaskRunnerWorker(...) when building it (AddTaskRunner alone enqueues but runs nothing).");
        }

        return new TaskRunnerTestHost(services, time, ownedHost: null);
    }

    /// <summary>Wakes the workers and waits until no job is due now: none pending or running, no scheduled job or retry with
    /// its run-at at or before <see cref="Time"/>. Jobs due later stay as they are (move the clock for them).</summary>
    /// <exception cref="TimeoutException">Due jobs did not finish within <see cref="IdleTimeout"/>; the message names them
    /// (a handler that hangs, or a queue no worker of this host serves).</exception>
    public async Task RunUntilIdleAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Take the signal before reading, so an outcome written in between is not missed.
            var finished = _signals.JobsFinished;
            var due = await DueJobsAsync(cancellationToken).ConfigureAwait(false);
            if (due.Count == 0)
            {
                return;
            }

            if (clock.Elapsed > IdleTimeout)
            {
                throw new TimeoutException(Describe(
                    $"{due.Count} job(s) due at {Time.GetUtcNow():O} did not finish within {IdleTimeout.TotalSeconds:0.#} s (TaskRunnerTestHost.IdleTimeout); does a worker of this host serve their queue, and does each handler return?",
                    due));
            }

            _submitter.Wake();

            // Local outcomes signal at once; the real-time recheck covers a wake-up a poller took before the job was stored.
            await Task.WhenAny(finished, Task.Delay(RecheckInterval, TimeProvider.System, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Moves the clock forward by <paramref name="by"/>, stopping at every stored run-at on the way (delayed jobs,
    /// retries — including those the runs on the way schedule) and running what is due there until idle.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    /// <remarks>Recurring schedules fire on the scheduler's own timers as the clock passes their occurrences; follow a
    /// move across an occurrence with <see cref="RunUntilIdleAsync"/> or <see cref="WaitForJobAsync"/>.</remarks>
    public async Task AdvanceAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), by, $"The clock only moves forward; {by} is negative.");
        }

        var target = Time.GetUtcNow() + by;
        await RunUntilIdleAsync(cancellationToken).ConfigureAwait(false);
        while (await Store.GetNextRunAtAsync(Time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } next && next <= target)
        {
            Time.SetUtcNow(next);
            await RunUntilIdleAsync(cancellationToken).ConfigureAwait(false);
        }

        if (Time.GetUtcNow() < target)
        {
            Time.SetUtcNow(target);
        }

        await RunUntilIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the job has finished, moving nothing: run what is due with <see cref="RunUntilIdleAsync"/> or
    /// the clock with <see cref="AdvanceAsync"/> first if it waits for either.</summary>
    public Task<JobRecord> WaitForJobAsync(JobId id, CancellationToken cancellationToken = default) =>
        Client.WaitForJobAsync(id, cancellationToken).AsTask().WaitAsync(IdleTimeout, cancellationToken);

    /// <summary>Every stored job of the job names registered for <typeparamref name="TPayload"/>, in any state, with its
    /// payload read.</summary>
    public async Task<IReadOnlyList<(JobRecord Job, TPayload Payload)>> GetJobsAsync<TPayload>(CancellationToken cancellationToken = default)
    {
        var names = NamesFor(typeof(TPayload));
        var json = Services.GetRequiredService<IOptions<TaskRunnerOptions>>().Value.JsonSerializerOptions;
        var jobs = new List<(JobRecord, TPayload)>();
        foreach (var name in names)
        {
            await foreach (var record in Client.ListAllAsync(new JobQuery { JobName = name, Limit = JobQuery.MaxLimit }, cancellationToken).ConfigureAwait(false))
            {
                jobs.Add((record, record.GetPayload<TPayload>(json)!));
            }
        }

        jobs.Sort(static (a, b) => a.Item1.Id.CompareTo(b.Item1.Id));
        return jobs;
    }

    /// <summary>Asserts that a job with a <typeparamref name="TPayload"/> payload (matching <paramref name="match"/>, when
    /// given) was enqueued, whether or not it has run since.</summary>
    /// <returns>The first such job.</returns>
    /// <exception cref="TaskRunnerAssertionException">None was; the message lists the jobs of that payload type there are.</exception>
    public async Task<JobRecord> AssertEnqueuedAsync<TPayload>(Func<TPayload, bool>? match = null, CancellationToken cancellationToken = default)
    {
        var jobs = await GetJobsAsync<TPayload>(cancellationToken).ConfigureAwait(false);
        foreach (var (job, payload) in jobs)
        {
            if (match is null || match(payload))
            {
                return job;
            }
        }

        throw new TaskRunnerAssertionException(Describe(
            $"Expected a job with a {typeof(TPayload).Name} payload{(match is null ? "" : " matching the condition")} to be enqueued; there are {jobs.Count} of that type.",
            jobs.Select(j => j.Job).ToList()));
    }

    /// <summary>Asserts that no job with a <typeparamref name="TPayload"/> payload was enqueued.</summary>
    /// <exception cref="TaskRunnerAssertionException">Some were; the message lists them.</exception>
    public async Task AssertNotEnqueuedAsync<TPayload>(CancellationToken cancellationToken = default)
    {
        var jobs = await GetJobsAsync<TPayload>(cancellationToken).ConfigureAwait(false);
        if (jobs.Count > 0)
        {
            throw new TaskRunnerAssertionException(Describe(
                $"Expected no job with a {typeof(TPayload).Name} payload; found {jobs.Count}.", jobs.Select(j => j.Job).ToList()));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownedHost is not null)
        {
            try
            {
                await _ownedHost.StopAsync().ConfigureAwait(false);
            }
            finally
            {
                _ownedHost.Dispose();
            }
        }
    }

    private async Task<List<JobRecord>> DueJobsAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var due = new List<JobRecord>();
        foreach (var state in UnfinishedStates)
        {
            await foreach (var record in Client.ListAllAsync(new JobQuery { State = state, Limit = JobQuery.MaxLimit }, cancellationToken).ConfigureAwait(false))
            {
                if (state is JobState.Pending or JobState.Running || record.RunAt <= now)
                {
                    due.Add(record);
                }
            }
        }

        return due;
    }

    private string[] NamesFor(Type payloadType)
    {
        var names = Services.GetRequiredService<JobRegistry>().All.Where(r => r.PayloadType == payloadType).Select(r => r.Name).ToArray();
        return names.Length > 0
            ? names
            : throw new TaskRunnerAssertionException($"No job is registered for payload type {payloadType.FullName}: add it with AddJob<THandler, {payloadType.Name}>(name).");
    }

    private static string Describe(string headline, List<JobRecord> jobs)
    {
        var text = new StringBuilder(headline);
        foreach (var job in jobs.Take(20))
        {
            text.Append(CultureInfo.InvariantCulture, $"{Environment.NewLine}  job {job.Id} '{job.Name}' in queue '{job.Queue}': {job.State}, run-at {job.RunAt:O}, attempts {job.Attempts}")
                .Append(job.LastError is { } error ? $", last error {error.Type}: {error.Message}" : "");
        }

        if (jobs.Count > 20)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Environment.NewLine}  … and {jobs.Count - 20} more");
        }

        return text.ToString();
    }
}
