using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskRunner.Extraction;
using TaskRunner.Sqlite;

namespace TaskRunner.Tests.Sqlite;

public sealed class SqliteStoreOptionsTests
{
    [Fact]
    public void Defaults_with_a_path_are_valid()
    {
        var options = new SqliteStoreOptions { Path = "jobs.db" };

        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(5), options.BusyTimeout);
        Assert.Equal(4, options.MaxReadConnections);
    }

    [Theory]
    [InlineData("", 5_000, 4, "Path", "''")] // no file named
    [InlineData("   ", 5_000, 4, "Path", "'   '")] // white space only
    [InlineData("jobs.db", -1, 4, "BusyTimeout", "-00:00:00.0010000")] // negative timeout
    [InlineData("jobs.db", 300_001, 4, "BusyTimeout", "00:05:00.0010000")] // just above the 5 minute cap
    [InlineData("jobs.db", 5_000, 0, "MaxReadConnections", "0")] // no reader at all
    [InlineData("jobs.db", 5_000, 65, "MaxReadConnections", "65")] // above the cap of 64
    public void Out_of_range_values_are_rejected_naming_option_value_and_range(string path, int busyMilliseconds, int readers, string option, string value)
    {
        var options = new SqliteStoreOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(busyMilliseconds), MaxReadConnections = readers };

        var error = Assert.Single(options.Validate());

        Assert.Contains($"SqliteStoreOptions.{option}", error, StringComparison.Ordinal);
        Assert.Contains(value, error, StringComparison.Ordinal);
        Assert.True(option == "Path" || error.Contains("must be between", StringComparison.Ordinal), error);
    }

    [Theory]
    [InlineData(0, 1)] // no waiting on a busy file, one reader: the lower bounds are allowed
    [InlineData(300_000, 64)] // the upper bounds are allowed
    public void Boundary_values_are_valid(int busyMilliseconds, int readers)
    {
        var options = new SqliteStoreOptions { Path = "jobs.db", BusyTimeout = TimeSpan.FromMilliseconds(busyMilliseconds), MaxReadConnections = readers };

        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData((1L << 20) - 1, false)] // one byte under 1 MiB: too small to hold a busy second's commits
    [InlineData(1L << 20, true)] // the lower bound
    [InlineData(1L << 30, true)] // the upper bound
    [InlineData((1L << 30) + 1, false)] // one byte over 1 GiB
    public void Wal_size_limit_is_checked_naming_the_value_and_range(long bytes, bool valid)
    {
        var options = new SqliteStoreOptions { Path = "jobs.db", WalSizeLimit = bytes };

        var errors = options.Validate();

        Assert.Equal(64L << 20, new SqliteStoreOptions().WalSizeLimit);
        if (valid)
        {
            Assert.Empty(errors);
            return;
        }

        var error = Assert.Single(errors);
        Assert.Contains($"SqliteStoreOptions.WalSizeLimit is {bytes} bytes", error, StringComparison.Ordinal);
        Assert.Contains("must be between 1048576 bytes and 1073741824 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Use_sqlite_replaces_stores_registered_before_and_adds_the_initializer()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IJobStore>(_ => throw new InvalidOperationException("the earlier registration must not win"));
        var path = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"), "jobs.db");

        new Builder(services).UseSqlite(path);
        using var provider = services.BuildServiceProvider();

        Assert.IsType<SqliteJobStore>(provider.GetRequiredService<IJobStore>());
        Assert.IsType<SqliteLockStore>(provider.GetRequiredService<ILockStore>());
        Assert.IsType<SqliteScheduleStore>(provider.GetRequiredService<IScheduleStore>());
        Assert.IsType<SqliteMetadataStore>(provider.GetRequiredService<IMetadataStore>());
        Assert.IsType<SqliteStoreInitializer>(Assert.Single(provider.GetServices<IStoreInitializer>()));
        Assert.Same(provider.GetRequiredService<IJobStore>(), provider.GetRequiredService<IJobStore>());
        Assert.Equal(path, provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value.Path);
    }

    [Fact]
    public void Use_sqlite_twice_registers_one_initializer_and_the_last_settings_win()
    {
        var services = new ServiceCollection();
        var builder = new Builder(services);

        builder.UseSqlite("first.db").UseSqlite(o => o.BusyTimeout = TimeSpan.FromSeconds(1));
        using var provider = services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IStoreInitializer>());
        Assert.Single(provider.GetServices<IJobStore>());
        var options = provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value;
        Assert.Equal("first.db", options.Path);
        Assert.Equal(TimeSpan.FromSeconds(1), options.BusyTimeout);
    }

    [Fact]
    public void Invalid_options_fail_when_read_with_the_option_named()
    {
        var services = new ServiceCollection();
        new Builder(services).UseSqlite(o => { o.Path = "jobs.db"; o.MaxReadConnections = 0; });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value);

        Assert.Contains("MaxReadConnections", error.Message, StringComparison.Ordinal);
    }

    private sealed class Builder(IServiceCollection services) : ITaskRunnerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
