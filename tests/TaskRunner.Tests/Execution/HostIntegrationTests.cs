using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Execution;

/// <summary>TaskRunner inside a generic host: the host's logging, disposal without a stop, the host's shutdown timeout.</summary>
public sealed class HostIntegrationTests
{
    [Fact]
    public async Task AddTaskRunner_before_AddLogging_leaves_the_hosts_logging_working_for_the_app_and_for_us()
    {
        var recorder = new RecordingLoggerProvider();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddSingleton<EventRecorder>();
        builder.Services.AddSingleton<IJobObserver>(sp => sp.GetRequiredService<EventRecorder>());

        // The order of the bug: ours first, then the host's logging.
        builder.Services.AddTaskRunner(b => b.AddJob<WorkHandler, Work>("work"));
        builder.Services.AddLogging(l => l.ClearProviders().AddProvider(recorder).SetMinimumLevel(LogLevel.Debug));
        using var host = builder.Build();
        await host.StartAsync();

        host.Services.GetRequiredService<ILogger<HostIntegrationTests>>().LogInformation("hello from the app");
        var id = await host.Services.GetRequiredService<IJobClient>().EnqueueAsync(new Work("x", "throw"), new JobOptions { MaxAttempts = 1 });
        await host.Services.GetRequiredService<EventRecorder>().WaitFor(JobEventKind.DeadLettered, id);
        await host.StopAsync();

        var entries = recorder.Entries;
        Assert.Contains(entries, e => e.Category == typeof(HostIntegrationTests).FullName && e.Message == "hello from the app");
        Assert.Contains(entries, e => e.Category == "TaskRunner" && e.Message.Contains("started", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(entries, e => e.Category == "TaskRunner" && e.Message.Contains(id.ToString(), StringComparison.Ordinal));
    }
}
