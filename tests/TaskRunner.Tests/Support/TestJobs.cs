using System.Collections.Concurrent;

namespace TaskRunner.Tests.Support;

/// <summary>Payload of the test jobs: which behaviour to show.</summary>
internal sealed record Work(string Key, string? Mode = null);

/// <summary>Shared state the test handlers report to and take orders from (a singleton per host).</summary>
internal sealed class Probe
{
    public ConcurrentQueue<(string Key, int Attempt, JobId Id)> Runs { get; } = new();

    public ConcurrentDictionary<string, Gate> Started { get; } = new();

    public ConcurrentDictionary<string, Gate> Release { get; } = new();

    public ConcurrentDictionary<string, Gate> TokenFired { get; } = new();

    public ConcurrentQueue<Exception> Errors { get; } = new();

    public int Running;

    public int MaxRunning;

    public Gate StartedGate(string key) => Started.GetOrAdd(key, _ => new Gate());

    public Gate ReleaseGate(string key) => Release.GetOrAdd(key, _ => new Gate());

    public Gate TokenFiredGate(string key) => TokenFired.GetOrAdd(key, _ => new Gate());
}

/// <summary>Does what its payload's mode says: succeed, throw, block until released, or report progress and a result.</summary>
internal sealed class WorkHandler(Probe probe) : IJobHandler<Work>
{
    public async ValueTask ExecuteAsync(Work payload, JobContext context)
    {
        probe.Runs.Enqueue((payload.Key, context.Attempt, context.JobId));
        var running = Interlocked.Increment(ref probe.Running);
        InterlockedMax(ref probe.MaxRunning, running);
        using var registration = context.CancellationToken.Register(() => probe.TokenFiredGate(payload.Key).Open());
        try
        {
            probe.StartedGate(payload.Key).Open();
            switch (payload.Mode)
            {
                case "throw":
                    throw new InvalidOperationException($"boom {payload.Key}");
                case "block":
                    // Ignores its token: finishes only when the test releases it.
                    await probe.ReleaseGate(payload.Key).Task.ConfigureAwait(false);
                    break;
                case "block-cancellable":
                    await probe.ReleaseGate(payload.Key).Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                    break;
                case "progress":
                    await context.ReportProgressAsync(50, "half way").ConfigureAwait(false);
                    context.SetResult(new { answer = 42 });
                    break;
            }
        }
        catch (Exception ex)
        {
            if (context.CancellationToken.IsCancellationRequested)
            {
                // The registration above may be gone before its callback runs when the awaited task was cancelled first.
                probe.TokenFiredGate(payload.Key).Open();
            }

            probe.Errors.Enqueue(ex);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref probe.Running);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
