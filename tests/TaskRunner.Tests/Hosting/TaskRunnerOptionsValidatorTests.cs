namespace TaskRunner.Tests.Hosting;

/// <summary>The engine's options, checked at start through their declared ranges: each failure names the option, the
/// value and the range in one form, including ranges whose bound is another option.</summary>
public sealed class TaskRunnerOptionsValidatorTests
{
    public static TheoryData<string, Action<TaskRunnerOptions>, string> OutOfRange => new()
    {
        // The upper bound is half the lease: 20 s against a 30 s lease.
        { "heartbeat above half the lease", o => o.HeartbeatInterval = TimeSpan.FromSeconds(20),
            "TaskRunnerOptions.HeartbeatInterval is 00:00:20; it must be between 00:00:00.0100000 and 00:00:15." },
        // The lower bound is the base delay.
        { "max retry delay below the base", o => { o.RetryBaseDelay = TimeSpan.FromMinutes(1); o.RetryMaxDelay = TimeSpan.FromSeconds(1); },
            "TaskRunnerOptions.RetryMaxDelay is 00:00:01; it must be between 00:01:00 and 7.00:00:00." },
        // NaN is neither above nor below a bound: rejected all the same.
        { "failure ratio NaN", o => o.CircuitBreaker.FailureRatio = double.NaN,
            "TaskRunnerOptions.CircuitBreaker.FailureRatio is NaN; it must be between 0.1 and 1." },
        // A queue's option is named after its queue.
        { "queue concurrency zero", o => o.Queues["mail"] = new QueueOptions("mail") { Concurrency = 0 },
            "TaskRunnerOptions.Queues[\"mail\"].Concurrency is 0; it must be between 1 and 1024." },
        // Just above the top of an int range.
        { "global concurrency above the cap", o => o.GlobalConcurrency = 4097,
            "TaskRunnerOptions.GlobalConcurrency is 4097; it must be between 1 and 4096." },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void An_out_of_range_option_fails_naming_option_value_and_range(string edgeCase, Action<TaskRunnerOptions> configure, string expected)
    {
        var options = new TaskRunnerOptions();
        configure(options);

        var result = new TaskRunnerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed, edgeCase);
        Assert.Equal(expected, Assert.Single(result.Failures!));
    }

    [Fact]
    public void Defaults_and_bounds_themselves_are_valid()
    {
        var options = new TaskRunnerOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(15), // exactly half the default lease
            RetryMaxDelay = TimeSpan.FromSeconds(2), // exactly the default base delay
            GlobalConcurrency = 4096,
        };
        options.CircuitBreaker.FailureRatio = 0.1;

        Assert.True(new TaskRunnerOptionsValidator().Validate(null, new TaskRunnerOptions()).Succeeded);
        Assert.True(new TaskRunnerOptionsValidator().Validate(null, options).Succeeded);
    }
}
