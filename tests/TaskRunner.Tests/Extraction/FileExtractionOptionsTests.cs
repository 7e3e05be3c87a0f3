using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TaskRunner.Extraction;

namespace TaskRunner.Tests.Extraction;

public sealed class FileExtractionOptionsTests : IDisposable
{
    private readonly TestTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Theory]
    // Each range edge of SPEC §7, just outside it.
    [InlineData("DebounceDelay", "00:00:00.9000000", "DebounceDelay is 00:00:00.9000000; it must be between 00:00:01 and 00:01:00")]
    [InlineData("DebounceDelay", "00:01:01", "DebounceDelay is 00:01:01")]
    [InlineData("MaxDelay", "00:00:29", "MaxDelay is 00:00:29; it must be between 00:00:30 and 00:10:00")]
    [InlineData("MaxDelay", "00:10:01", "MaxDelay is 00:10:01")]
    [InlineData("QueueSize", "99", "QueueSize is 99; it must be between 100 and 10000")]
    [InlineData("QueueSize", "10001", "QueueSize is 10001")]
    [InlineData("BatchSize", "0", "BatchSize is 0; it must be between 1 and 100")]
    [InlineData("BatchSize", "101", "BatchSize is 101")]
    [InlineData("Workers", "0", "Workers is 0; it must be between 1 and 8")]
    [InlineData("Workers", "9", "Workers is 9")]
    public async Task Out_of_range_options_from_configuration_fail_the_start_naming_option_value_and_range(string option, string value, string message)
    {
        using var host = Build(new Dictionary<string, string?> { [option] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"File extraction 'docs': {message}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_the_seeds_and_configuration_binds_every_option()
    {
        var defaults = new FileExtractionOptions();
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120), 1000, 20, 2), (defaults.DebounceDelay, defaults.MaxDelay, defaults.QueueSize, defaults.BatchSize, defaults.Workers));

        using var host = Build(new Dictionary<string, string?>
        {
            ["DebounceDelay"] = "00:00:05",
            ["MaxDelay"] = "00:01:00",
            ["QueueSize"] = "500",
            ["BatchSize"] = "50",
            ["Workers"] = "4",
            ["ChangeSource"] = "Polling",
            ["Ignore:0"] = "*.tmp",
        });
        var options = host.Services.GetRequiredService<IOptionsMonitor<FileExtractionOptions>>().Get("docs");

        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), 500, 50, 4, ChangeSourceMode.Polling), (options.DebounceDelay, options.MaxDelay, options.QueueSize, options.BatchSize, options.Workers, options.ChangeSource));
        Assert.Equal(["*.tmp"], options.Ignore);
        var queue = host.Services.GetRequiredService<IOptions<TaskRunnerOptions>>().Value.Queues["extract.docs"];
        Assert.Equal((4, 50), (queue.Concurrency, queue.BatchSize));
    }

    [Fact]
    public void A_bad_name_or_a_second_pipeline_of_one_name_is_refused_at_registration()
    {
        var services = new ServiceCollection();
        var bad = Assert.Throws<ArgumentException>(() => services.AddTaskRunner(b => b.AddFileExtraction<TestExtractor>("Docs!", _tree.Root)));
        Assert.Contains("File extraction name 'Docs!' is invalid", bad.Message, StringComparison.Ordinal);

        var twice = Assert.Throws<ArgumentException>(() => services.AddTaskRunner(b => b
            .AddFileExtraction<TestExtractor>("docs", _tree.Root)
            .AddFileExtraction<TestExtractor>("docs", _tree.Root)));
        Assert.Contains("'docs' is already registered", twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_root_fails_the_start_naming_it()
    {
        var missing = Path.Combine(_tree.Outside, "nope");
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddTaskRunnerWorker(b => b.AddFileExtraction<TestExtractor>("docs", missing));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains($"Root '{missing}' is not an existing directory", error.Message, StringComparison.Ordinal);
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var section = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.Services.AddTaskRunnerWorker(b => b.AddFileExtraction<TestExtractor>("docs", _tree.Root));
        builder.Services.Configure<FileExtractionOptions>("docs", section);
        return builder.Build();
    }
}
