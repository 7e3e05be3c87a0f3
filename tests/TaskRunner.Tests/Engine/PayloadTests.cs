using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Engine;

/// <summary>Payloads that cannot be a job's payload: rejected at enqueue where the client can tell, dead-lettered at
/// once (never retried) where only the reader can.</summary>
public sealed class PayloadTests
{
    private static Task<RunnerHost> StartAsync(Action<ITaskRunnerBuilder>? configure = null) =>
        RunnerHost.StartAsync(
            b =>
            {
                b.AddJob<WorkHandler, Work>("work");
                b.AddJob<OrderHandler, Order>("order");
                configure?.Invoke(b);
            },
            services: s => s.AddSingleton<Probe>());

    /// <summary>Stores a job with raw payload bytes, as another process or an older version could, and returns its first
    /// outcome event.</summary>
    private static async Task<JobEvent> FirstOutcomeAsync(RunnerHost host, string jobName, string json)
    {
        var id = (await host.Store.EnqueueAsync([new NewJob { Name = jobName, Payload = Encoding.UTF8.GetBytes(json), MaxAttempts = 5 }], host.Time.GetUtcNow()))[0].Id;
        host.Wake();
        return await host.Events.WaitFor(e => e.JobId == id && e.Kind is JobEventKind.Succeeded or JobEventKind.Failed or JobEventKind.DeadLettered);
    }

    [Theory]
    [InlineData("work", "null", "JSON null")] // the whole payload null: the handler would get a null Work
    [InlineData("work", "", "empty")] // no payload at all
    [InlineData("work", "{}", "'key'")] // a constructor parameter without a default is missing
    [InlineData("work", """{"mode":"x"}""", "'key'")]
    [InlineData("work", """{"key":null}""", "'key'")] // present, but null in a non-nullable parameter
    [InlineData("order", """{"lines":2}""", "'id'")] // a C# required member is missing
    [InlineData("order", """{"id":null,"lines":2}""", "'id'")] // a required non-nullable member is null
    public async Task A_payload_that_is_null_or_misses_a_required_member_is_dead_lettered_at_attempt_1_saying_what_is_missing(string jobName, string json, string missing)
    {
        await using var host = await StartAsync();

        var outcome = await FirstOutcomeAsync(host, jobName, json);

        Assert.Equal(JobEventKind.DeadLettered, outcome.Kind);
        Assert.Equal(1, outcome.Attempt);
        Assert.Equal("PayloadUnreadable", outcome.Error!.Type);
        Assert.Contains(missing, outcome.Error.Message, StringComparison.OrdinalIgnoreCase); // STJ names the C# or the JSON name
        Assert.Contains($"'{jobName}'", outcome.Error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Services.GetRequiredService<Probe>().Runs); // the handler never saw it
        Assert.Equal(JobState.DeadLettered, (await host.Store.GetAsync(outcome.JobId))!.State);
    }

    [Fact]
    public async Task A_null_in_a_nullable_member_or_for_a_handler_declared_to_take_null_is_a_readable_payload()
    {
        await using var host = await StartAsync(b => b.AddJob<MaybeWorkHandler, Work?>("maybe"));

        Assert.Equal(JobEventKind.Succeeded, (await FirstOutcomeAsync(host, "work", """{"key":"a","mode":null}""")).Kind);
        Assert.Equal(JobEventKind.Succeeded, (await FirstOutcomeAsync(host, "maybe", "null")).Kind);
        Assert.Equal(JobEventKind.Succeeded, (await FirstOutcomeAsync(host, "maybe", "")).Kind);
    }

    [Fact]
    public async Task Enqueue_by_name_with_a_payload_of_another_type_throws_naming_the_job_the_given_and_the_expected_type()
    {
        await using var host = await StartAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await host.Client.EnqueueAsync("work", new Order { Id = "o-1", Lines = 2 }));

        Assert.Equal("payload", ex.ParamName);
        Assert.Contains("'work'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Order).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(Work).FullName!, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await host.Store.CountAsync("default")).Pending); // nothing stored

        var asObject = await Assert.ThrowsAsync<ArgumentException>(async () => await host.Client.EnqueueAsync<object>("work", "text"));
        Assert.Contains(typeof(string).FullName!, asObject.Message, StringComparison.Ordinal);

        // The declared type does not matter, the payload does: a Work passed as object is the job's payload.
        var id = await host.Client.EnqueueAsync<object>("work", new Work("as-object"));
        await host.Events.WaitFor(JobEventKind.Succeeded, id);
    }

    [Fact]
    public async Task Enqueue_of_a_null_payload_for_a_handler_that_takes_no_null_throws_naming_the_job()
    {
        await using var host = await StartAsync();

        var byType = await Assert.ThrowsAsync<ArgumentNullException>(async () => await host.Client.EnqueueAsync<Work>(null!));
        var byName = await Assert.ThrowsAsync<ArgumentNullException>(async () => await host.Client.EnqueueAsync<Work>("work", null!));

        Assert.Contains("'work'", byType.Message, StringComparison.Ordinal);
        Assert.Contains("'work'", byName.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await host.Store.CountAsync("default")).Pending);
    }

    internal sealed class Order
    {
        public required string Id { get; init; }

        public int Lines { get; init; }
    }

    private sealed class OrderHandler(Probe probe) : IJobHandler<Order>
    {
        public ValueTask ExecuteAsync(Order payload, JobContext context)
        {
            probe.Runs.Enqueue((payload.Id.ToUpperInvariant(), context.Attempt, context.JobId));
            return ValueTask.CompletedTask;
        }
    }

    private sealed class MaybeWorkHandler : IJobHandler<Work?>
    {
        public ValueTask ExecuteAsync(Work? payload, JobContext context) => ValueTask.CompletedTask;
    }
}
