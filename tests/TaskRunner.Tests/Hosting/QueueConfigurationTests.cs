using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Hosting;

/// <summary>Options and queues bound from configuration, polling that follows reloads, and run-time pause/resume.</summary>
public sealed class QueueConfigurationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"));

    public QueueConfigurationTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task Queues_with_their_polling_strategies_and_the_options_bind_from_an_appsettings_json_file()
    {
        var path = Path.Combine(_directory, "appsettings.json");
        await File.WriteAllTextAsync(path, """
            {
              "TaskRunner": {
                "LeaseDuration": "00:00:20",
                "HeartbeatInterval": "00:00:05",
                "GlobalConcurrency": 6,
                "CircuitBreaker": { "FailureThreshold": 7 },
                "Queues": {
                  "default": { "Concurrency": 4, "Polling": { "Strategy": "FixedInterval", "Interval": "00:00:03" } },
                  "reports": { "Concurrency": 2, "BatchSize": 5, "Paused": true,
                               "Polling": { "Strategy": "Adaptive", "MinDelay": "00:00:00.1", "MaxDelay": "00:00:02" } },
                  "nightly": { "Polling": { "Strategy": "ScheduledWindows", "TimeZoneId": "UTC",
                                            "Windows": [ { "Cron": "0 2 * * *", "Duration": "01:00:00" } ] } }
                }
              }
            }
            """);
        var configuration = new ConfigurationBuilder().AddJsonFile(path).Build();

        await using var host = await RunnerHost.StartAsync(b => b.BindConfiguration(configuration.GetSection("TaskRunner")).AddJob<WorkHandler, Work>("work"),
            services: s => s.AddSingleton<Probe>());

        var options = host.Services.GetRequiredService<IOptions<TaskRunnerOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(20), options.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HeartbeatInterval);
        Assert.Equal(6, options.GlobalConcurrency);
        Assert.Equal(7, options.CircuitBreaker.FailureThreshold);
        Assert.Equal(["default", "nightly", "reports"], options.Queues.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(4, options.Queues["default"].Concurrency);
        Assert.Equal((2, 5, true), (options.Queues["reports"].Concurrency, options.Queues["reports"].BatchSize, options.Queues["reports"].Paused));
        Assert.IsType<FixedIntervalPolling>(PollingStrategies.Create(host.Services, options.Queues["default"]));
        Assert.IsType<QueueDepthAdaptivePolling>(PollingStrategies.Create(host.Services, options.Queues["reports"]));
        Assert.IsType<ScheduledWindowPolling>(PollingStrategies.Create(host.Services, options.Queues["nightly"]));

        // The runner serves them: "reports" starts paused, "default" polls every 3 s.
        var control = host.Services.GetRequiredService<IQueueControl>();
        Assert.True(control.IsPaused("reports"));
        Assert.False(control.IsPaused("default"));
        AwaitSleep(host, "default", TimeSpan.FromSeconds(3));
    }

    [Theory]
    // A value out of range fails the start like one set in code, naming the queue and the option.
    [InlineData("Queues:default:Concurrency", "0", "TaskRunnerOptions.Queues[\"default\"]")]
    // An unknown strategy names the configuration path, the value and the choices.
    [InlineData("Queues:default:Polling:Strategy", "Sometimes", "Configuration 'Queues:default:Polling:Strategy' is 'Sometimes'; it must be one of IdleBackoff, FixedInterval")]
    // A strategy option out of its range names where it was set.
    [InlineData("Queues:default:Polling:Interval", "00:00:00", "Configuration 'Queues:default:Polling' is invalid")]
    // A value that is not a number names its path.
    [InlineData("LeaseDuration", "soon", "LeaseDuration")]
    public async Task Bad_configuration_fails_the_start_naming_the_value_and_the_rule(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Queues:default:Polling:Strategy"] = "FixedInterval", [key] = value };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        // Disposed without a stop: a host whose start failed cannot be stopped.
        using var host = RunnerHost.Create(b => b.BindConfiguration(configuration)).Host;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_polling_change_and_a_pause_in_the_configuration_are_picked_up_on_reload_without_a_restart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Queues:default:Polling:Strategy"] = "FixedInterval",
            ["Queues:default:Polling:Interval"] = "00:00:10",
        }).Build();
        await using var host = await RunnerHost.StartAsync(b => b.BindConfiguration(configuration).AddJob<WorkHandler, Work>("work"),
            services: s => s.AddSingleton<Probe>());
        AwaitSleep(host, "default", TimeSpan.FromSeconds(10));

        configuration["Queues:default:Polling:Interval"] = "00:00:02";
        configuration.Reload();

        // The new strategy takes over at once: the poller wakes, polls, and sleeps for the new interval.
        AwaitSleep(host, "default", TimeSpan.FromSeconds(2));

        configuration["Queues:default:Paused"] = "true";
        configuration.Reload();
        Assert.True(host.Services.GetRequiredService<IQueueControl>().IsPaused("default"));
    }

    [Fact]
    public async Task A_paused_queue_claims_nothing_is_reported_unserved_and_runs_its_jobs_once_resumed()
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());
        var control = host.Services.GetRequiredService<IQueueControl>();
        var runner = host.Services.GetRequiredService<JobRunner>();

        await control.PauseQueueAsync("default");
        var id = await host.Client.EnqueueAsync(new Work("paused"));

        // Paused: the poller sleeps with no deadline, and this node no longer lists the queue, so its job is unserved.
        AwaitSleep(host, "default", Timeout.InfiniteTimeSpan);
        Assert.Equal(JobState.Pending, (await host.Client.GetAsync(id))!.State);
        Assert.Empty(Assert.Single(await host.Services.GetRequiredService<INodeRegistry>().ListAsync()).Queues);
        await runner.CheckNodesAsync();
        Assert.Equal(new UnservedWork("default", "work", 1, QueueServed: false), Assert.Single(host.Monitor.UnservedWork));
        Assert.True(control.IsPaused("default"));

        await control.ResumeQueueAsync("default");

        await host.Events.WaitFor(JobEventKind.Succeeded, id);
        Assert.False(control.IsPaused("default"));
        Assert.Equal(["default"], Assert.Single(await host.Services.GetRequiredService<INodeRegistry>().ListAsync()).Queues);
    }

    [Fact]
    public async Task Pausing_a_queue_this_process_does_not_serve_names_it_and_the_served_ones()
    {
        await using var host = await RunnerHost.StartAsync(b => b.AddJob<WorkHandler, Work>("work"), services: s => s.AddSingleton<Probe>());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Services.GetRequiredService<IQueueControl>().PauseQueueAsync("nope").AsTask());

        Assert.Contains("Queue 'nope' is not served by this process (it serves 'default')", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Only leaves a temp directory behind.
        }
    }

    /// <summary>Waits until the queue's poller sleeps for <paramref name="interval"/> from now (forever for an infinite one).</summary>
    private static void AwaitSleep(RunnerHost host, string queue, TimeSpan interval)
    {
        var signal = host.Poller(queue);
        var expected = interval == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : host.Time.GetUtcNow() + interval;
        Assert.True(
            SpinWait.SpinUntil(() => signal.IsSleeping && signal.WakeAt == expected, RunnerHost.Patience),
            $"the {queue} poller should sleep until {expected:O}; it sleeps: {signal.IsSleeping}, until {signal.WakeAt:O}");
    }
}
