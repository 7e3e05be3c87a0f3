using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace TaskRunner.Tests.Support;

/// <summary>A real generic host running TaskRunner on a fake clock, for engine tests.</summary>
internal sealed class RunnerHost : IAsyncDisposable
{
    private RunnerHost(IHost host, FakeTimeProvider time)
    {
        Host = host;
        Time = time;
    }

    public IHost Host { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => Host.Services;

    public IJobClient Client => Services.GetRequiredService<IJobClient>();

    public IJobStore Store => Services.GetRequiredService<IJobStore>();

    public ITaskRunnerMonitor Monitor => Services.GetRequiredService<ITaskRunnerMonitor>();

    public EventRecorder Events => Services.GetRequiredService<EventRecorder>();

    /// <summary>How long the helpers wait for the engine's loops (real time): under load a loop may wait seconds for a
    /// thread, and a passing test never waits it out.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>The wake signal a queue's poller sleeps on.</summary>
    public WakeSignal Poller(string queue = "default") => Services.GetRequiredService<LocalSignals>().For(queue);

    /// <summary>Waits until the queue's poller is asleep, moves the clock to the instant it wakes, and waits until it
    /// has woken. Moving to that exact instant (rather than by fixed steps) keeps the count of polls deterministic.</summary>
    public void AdvanceToNextPoll(string queue = "default")
    {
        var signal = Poller(queue);
        Assert.True(SpinWait.SpinUntil(() => signal.IsSleeping, Patience), "the poller should be asleep");
        var wakeAt = signal.WakeAt;
        Assert.NotEqual(DateTimeOffset.MaxValue, wakeAt);
        if (wakeAt > Time.GetUtcNow())
        {
            Time.SetUtcNow(wakeAt);
        }

        Assert.True(SpinWait.SpinUntil(() => !signal.IsSleeping || signal.WakeAt != wakeAt, Patience), "the poller should wake");
    }

    /// <summary>Tells the pollers that stored work became due, as the scheduler does when a run-at arrives.</summary>
    public void Wake() => Services.GetRequiredService<IJobSubmitter>().Wake();

    public static RunnerHost Create(Action<ITaskRunnerBuilder> configure, FakeTimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        time ??= new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<EventRecorder>();
        builder.Services.AddSingleton<IJobObserver>(sp => sp.GetRequiredService<EventRecorder>());
        services?.Invoke(builder.Services);
        builder.Services.AddTaskRunnerWorker(configure);
        return new RunnerHost(builder.Build(), time);
    }

    public static async Task<RunnerHost> StartAsync(Action<ITaskRunnerBuilder> configure, FakeTimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        var host = Create(configure, time, services);
        await host.Host.StartAsync().ConfigureAwait(false);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Host.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            Host.Dispose();
        }
    }
}
