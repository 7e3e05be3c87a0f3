using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.Diagnostics;

/// <summary>Every execution runs in a log scope naming the job, and times in log messages do not follow the culture.</summary>
public sealed partial class JobLogScopeTests
{
    [Fact]
    public async Task A_handlers_log_lines_and_the_runners_retry_warning_carry_the_jobs_scope_and_an_iso_retry_time_in_any_culture()
    {
        var recorder = new RecordingLoggerProvider();
        var culture = CultureInfo.CurrentCulture;

        // A culture with another calendar and digits: a time formatted with it would not read as 2026-01-05.
        CultureInfo.CurrentCulture = new CultureInfo("fa-IR");
        try
        {
            await using var host = await RunnerHost.StartAsync(
                b => b.AddJob<ChattyHandler, Chatty>("chatty", o => o.Queue = "talk").AddQueue("talk"),
                services: s => s.AddLogging(l => l.AddProvider(recorder).SetMinimumLevel(LogLevel.Debug)));
            var id = await host.Client.EnqueueAsync(new Chatty("hello"));

            await host.Events.WaitFor(JobEventKind.Failed, id);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        var inside = Assert.Single(recorder.Entries, e => e.Message == "inside the handler: hello");
        var scope = Assert.Single(inside.Scopes.OfType<IReadOnlyList<KeyValuePair<string, object?>>>(), s => s.Any(p => p.Key == "JobId"));
        var values = scope.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("chatty", values["JobName"]);
        Assert.Equal(1, values["Attempt"]);
        Assert.Equal("talk", values["Queue"]);
        Assert.Contains("Job 1 (chatty) attempt 1 in queue talk", scope.ToString(), StringComparison.Ordinal);

        var failed = Assert.Single(recorder.Entries, e => e.EventId.Id == 8);
        Assert.Contains(failed.Scopes, s => s?.ToString() == scope.ToString());
        Assert.Matches(IsoRetryTime(), failed.Message);
    }

    [GeneratedRegex(@"retry at 2026-01-05T12:00:\d{2}\.\d{7}Z$")]
    private static partial Regex IsoRetryTime();

    private sealed record Chatty(string Text);

    private sealed class ChattyHandler(ILogger<ChattyHandler> logger) : IJobHandler<Chatty>
    {
        public ValueTask ExecuteAsync(Chatty payload, JobContext context)
        {
            logger.LogInformation("inside the handler: {Text}", payload.Text);
            throw new InvalidOperationException("fails once, to be retried");
        }
    }
}
