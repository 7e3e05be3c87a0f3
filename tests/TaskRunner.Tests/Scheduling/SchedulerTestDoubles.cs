using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Scheduling;

/// <summary>One submitted job, as the recording submitter saw it.</summary>
internal sealed record Submission(string JobName, string Payload, string? Queue, string? IdempotencyKey, JobId Id);

/// <summary>Stands in for the engine: keeps at most one job per idempotency key, as the job stores do, and records the
/// jobs it created, so tests can await them instead of sleeping.</summary>
internal sealed class RecordingSubmitter : IJobSubmitter
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JobId> _byKey = new(StringComparer.Ordinal);
    private readonly List<Submission> _created = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private int _wakes;
    private int _calls;

    public IReadOnlyList<Submission> Created
    {
        get
        {
            lock (_gate)
            {
                return [.. _created];
            }
        }
    }

    /// <summary>Every SubmitAsync call, including those deduplicated by key.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public int Wakes => Volatile.Read(ref _wakes);

    /// <summary>A job name the submitter rejects, as the engine rejects an unregistered job.</summary>
    public string? RejectedJobName { get; set; }

    public ValueTask<EnqueueResult> SubmitAsync(string jobName, ReadOnlyMemory<byte> payload, JobOptions? options, string? idempotencyKey, DateTimeOffset? occurrenceAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _calls++;
            if (jobName == RejectedJobName)
            {
                throw new InvalidOperationException($"No job named '{jobName}' is registered.");
            }

            if (idempotencyKey is not null && _byKey.TryGetValue(idempotencyKey, out var existing))
            {
                return ValueTask.FromResult(new EnqueueResult(existing, Created: false));
            }

            var id = new JobId(++_nextId);
            if (idempotencyKey is not null)
            {
                _byKey.Add(idempotencyKey, id);
            }

            _created.Add(new Submission(jobName, System.Text.Encoding.UTF8.GetString(payload.Span), options?.Queue, idempotencyKey, id));
            Signal();
            return ValueTask.FromResult(new EnqueueResult(id, Created: true));
        }
    }

    public void Wake()
    {
        Interlocked.Increment(ref _wakes);
        lock (_gate)
        {
            Signal();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking after each submission or wake.</summary>
    public async Task WaitUntilAsync(Func<RecordingSubmitter, bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            await changed.WaitAsync(timeout.Token);
        }
    }

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>One process's scheduler over a shared store, submitter and fake clock. Tracks whether its loop is asleep
/// (and until when), so the test only moves the clock while every scheduler is asleep: no races, no sleeps.</summary>
internal sealed class SchedulerNode : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private DateTimeOffset? _sleepingUntil;
    private TaskCompletionSource _slept = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _started;

    public SchedulerNode(IScheduleStore store, IJobSubmitter submitter, FakeTimeProvider time, SchedulerOptions? options = null, IEnumerable<RecurringJobRegistration>? registrations = null)
    {
        Wakeup = new SchedulerWakeup();
        Jobs = new RecurringJobs(store, submitter, new PayloadTypeNameResolver(), Wakeup, time, Options.Create(new TaskRunnerOptions()), registrations ?? [], NullLogger<RecurringJobs>.Instance);
        Scheduler = new RecurringScheduler(store, submitter, Jobs, Wakeup, Options.Create(options ?? new SchedulerOptions()), time, NullLogger<RecurringScheduler>.Instance);
        Scheduler.Sleeping += until =>
        {
            lock (_gate)
            {
                _sleepingUntil = until;
                _slept.TrySetResult();
            }
        };
    }

    public RecurringJobs Jobs { get; }

    public RecurringScheduler Scheduler { get; }

    public SchedulerWakeup Wakeup { get; }

    public async Task StartAsync()
    {
        MarkAwake();
        await Scheduler.StartAsync(CancellationToken.None);
        _started = true;
    }

    /// <summary>Waits until the loop sleeps, returning the instant it sleeps until.</summary>
    public async Task<DateTimeOffset> WaitAsleepAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            Task slept;
            lock (_gate)
            {
                if (_sleepingUntil is { } until)
                {
                    return until;
                }

                slept = _slept.Task;
            }

            await slept.WaitAsync(timeout.Token);
        }
    }

    /// <summary>Forgets the last sleep: call right before something that wakes the loop.</summary>
    public void MarkAwake()
    {
        lock (_gate)
        {
            _sleepingUntil = null;
            if (_slept.Task.IsCompleted)
            {
                _slept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Scheduler.StopAsync(CancellationToken.None);
        }

        Scheduler.Dispose();
    }
}

/// <summary>Several scheduler nodes on one fake clock.</summary>
internal sealed class SchedulerCluster : IAsyncDisposable
{
    public SchedulerCluster(FakeTimeProvider time, params SchedulerNode[] nodes)
    {
        Time = time;
        Nodes = nodes;
    }

    public FakeTimeProvider Time { get; }

    public IReadOnlyList<SchedulerNode> Nodes { get; }

    public async Task StartAsync()
    {
        foreach (var node in Nodes)
        {
            await node.StartAsync();
        }
    }

    /// <summary>Waits until every node sleeps.</summary>
    public async Task SettleAsync()
    {
        foreach (var node in Nodes)
        {
            await node.WaitAsleepAsync();
        }
    }

    /// <summary>Makes a local change on one node once everything is asleep, then waits until that node has reacted.</summary>
    public async Task ChangeAsync(SchedulerNode node, Func<Task> change)
    {
        await SettleAsync();
        node.MarkAwake();
        await change();
        await node.WaitAsleepAsync();
    }

    /// <summary>Moves the clock to <paramref name="target"/>, stopping at every instant a node sleeps until, and letting
    /// that node run before moving on.</summary>
    public async Task AdvanceToAsync(DateTimeOffset target)
    {
        while (true)
        {
            var sleeps = new List<(SchedulerNode Node, DateTimeOffset Until)>();
            foreach (var node in Nodes)
            {
                sleeps.Add((node, await node.WaitAsleepAsync()));
            }

            var earliest = sleeps.Min(s => s.Until);
            if (earliest > target)
            {
                if (Time.GetUtcNow() < target)
                {
                    Time.SetUtcNow(target);
                }

                return;
            }

            foreach (var (node, until) in sleeps)
            {
                if (until <= earliest)
                {
                    node.MarkAwake();
                }
            }

            if (Time.GetUtcNow() < earliest)
            {
                Time.SetUtcNow(earliest);
            }
        }
    }

    public async Task AdvanceByAsync(TimeSpan span) => await AdvanceToAsync(Time.GetUtcNow() + span);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>Names a recurring job after its payload type, standing in for the engine's job registry.</summary>
internal sealed class PayloadTypeNameResolver : IPayloadJobNameResolver
{
    public string Resolve(Type payloadType) => payloadType.Name;
}
