using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.Testing;

namespace TaskRunner.Tests.Testing;

/// <summary>Unit-testing a handler with <see cref="TestJobContext"/>: no runner, no store.</summary>
public sealed class TestJobContextTests
{
    private sealed record Export(int Rows);

    private sealed record ExportResult(int Written, long Fence);

    /// <summary>What a user's handler looks like: progress per chunk, its fencing token passed on, a result, cancellable.</summary>
    private sealed class ExportHandler(List<long> fencesSeenBySink) : IJobHandler<Export>
    {
        public async ValueTask ExecuteAsync(Export payload, JobContext context)
        {
            var written = 0;
            for (var chunk = 1; chunk <= 4; chunk++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                fencesSeenBySink.Add(context.LeaseToken);
                written += payload.Rows / 4;
                await context.ReportProgressAsync(chunk * 25, $"chunk {chunk}");
            }

            context.SetResult(new ExportResult(written, context.LeaseToken));
        }
    }

    [Fact]
    public async Task Progress_result_and_fencing_token_of_a_handler_are_observable()
    {
        var fences = new List<long>();
        using var context = new TestJobContext(jobName: "export", attempt: 2, leaseToken: 7);

        await new ExportHandler(fences).ExecuteAsync(new Export(100), context);

        Assert.Equal([25, 50, 75, 100], context.ProgressReports.Select(p => p.Percent));
        Assert.Equal(new ProgressReport(100, "chunk 4"), context.LastProgress);
        Assert.Equal(new ExportResult(100, 7), context.GetResult<ExportResult>());
        Assert.Equal("""{"written":100,"fence":7}""", System.Text.Encoding.UTF8.GetString(context.ResultJson!.Value.Span)); // the runner's Web JSON
        Assert.All(fences, f => Assert.Equal(7, f));
        Assert.Equal(2, context.Attempt);
        Assert.Equal("export", context.JobName);
    }

    [Fact]
    public async Task Cancel_fires_the_token_the_handler_watches()
    {
        using var context = new TestJobContext();
        context.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ExportHandler([]).ExecuteAsync(new Export(8), context).AsTask());
        Assert.Empty(context.ProgressReports);
        Assert.False(context.HasResult);
        Assert.Throws<InvalidOperationException>(() => context.GetResult<ExportResult>());
    }

    [Fact]
    public void A_timeout_on_a_fake_clock_fires_only_when_the_clock_reaches_it()
    {
        var time = new FakeTimeProvider();
        using var context = new TestJobContext();
        context.CancelAfter(TimeSpan.FromSeconds(30), time);

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(context.CancellationToken.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void A_take_over_raises_the_fencing_token_and_fires_the_old_attempts_token()
    {
        using var context = new TestJobContext(leaseToken: 3);
        var seen = context.LeaseToken;

        var newOwner = context.TakeOver();

        Assert.True(newOwner > seen);
        Assert.Equal(newOwner, context.LeaseToken);
        Assert.True(context.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Progress_outside_0_to_100_is_rejected_as_the_runner_rejects_it_and_reports_after_a_lost_lease_can_fail()
    {
        using var context = new TestJobContext(services: new ServiceCollection().AddSingleton("dep").BuildServiceProvider());
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => context.ReportProgressAsync(101).AsTask());
        Assert.Contains("101", ex.Message, StringComparison.Ordinal);
        Assert.Equal("dep", context.Services.GetRequiredService<string>());

        using var strict = new TestJobContext { RejectProgressAfterCancel = true };
        strict.TakeOver();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => strict.ReportProgressAsync(10).AsTask());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TestJobContext(attempt: 3, maxAttempts: 2));
    }
}
