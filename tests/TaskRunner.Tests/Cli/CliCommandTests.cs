using System.Text.Json;
using Spectre.Console.Testing;

namespace TaskRunner.Tests.Cli;

/// <summary>The taskrunner tool's commands, run in-process against a real SQLite file: what they print and what they do
/// to the store.</summary>
public sealed class CliCommandTests : IAsyncLifetime
{
    private CliStore _store = null!;

    public async Task InitializeAsync() => _store = await CliStore.CreateAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Jobs_list_shows_every_job_and_filters_by_state_queue_name_and_tag()
    {
        var all = await _store.RunAsync("jobs", "list");
        Assert.Equal(0, all.ExitCode);
        Assert.Contains("8 job(s)", all.Output, StringComparison.Ordinal);
        foreach (var state in Enum.GetNames<JobState>())
        {
            Assert.Contains(state, all.Output, StringComparison.Ordinal);
        }

        var dead = await _store.RunAsync("jobs", "list", "--state", "deadlettered");
        Assert.Contains("1 job(s)", dead.Output, StringComparison.Ordinal);
        Assert.Contains(CliStore.HostileName, dead.Output, StringComparison.Ordinal);

        var reports = await _store.RunAsync("jobs", "list", "--queue", "reports");
        Assert.Contains("1 job(s)", reports.Output, StringComparison.Ordinal);
        Assert.Contains("build-report", reports.Output, StringComparison.Ordinal);

        var emails = await _store.RunAsync("jobs", "list", "--name", "send-email", "--json");
        Assert.Equal([_store.Succeeded, _store.Failed, _store.Cancelled, _store.Pending], Ids(emails.Output));

        var tagged = await _store.RunAsync("jobs", "list", "--tag", "welcome", "--json");
        Assert.Equal([_store.Pending], Ids(tagged.Output));
    }

    [Fact]
    public async Task Jobs_list_pages_with_limit_and_after()
    {
        var first = await _store.RunAsync("jobs", "list", "--limit", "3");
        Assert.Contains($"more may follow: --after {_store.Succeeded}", first.Output, StringComparison.Ordinal);

        var next = await _store.RunAsync("jobs", "list", "--limit", "3", "--after", _store.Succeeded.ToString(), "--json");
        Assert.Equal([_store.Failed, _store.DeadLettered, _store.Cancelled], Ids(next.Output));
    }

    [Fact]
    public async Task Jobs_list_json_carries_states_by_name_and_payloads_as_json()
    {
        var result = await _store.RunAsync("jobs", "list", "--state", "Pending", "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        var job = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("Pending", job.GetProperty("state").GetString());
        Assert.Equal("a@b.c", job.GetProperty("payload").GetProperty("to").GetString());
    }

    [Fact]
    public async Task Jobs_show_prints_every_fact_with_payload_result_error_and_stack()
    {
        var succeeded = await _store.RunAsync("jobs", "show", _store.Succeeded.ToString());
        Assert.Equal(0, succeeded.ExitCode);
        Assert.Contains("Succeeded", succeeded.Output, StringComparison.Ordinal);
        Assert.Contains("\"sent\": 3", succeeded.Output, StringComparison.Ordinal);
        Assert.Contains("2026-06-01 09:00:00Z", succeeded.Output, StringComparison.Ordinal);

        var failed = await _store.RunAsync("jobs", "show", _store.Failed.ToString());
        Assert.Contains("System.TimeoutException: smtp timed out", failed.Output, StringComparison.Ordinal);
        Assert.Contains("at Smtp.Send()", failed.Output, StringComparison.Ordinal);
        Assert.Contains("1 of 5", failed.Output, StringComparison.Ordinal);

        var json = await _store.RunAsync("jobs", "show", _store.Failed.ToString(), "--json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("smtp timed out", document.RootElement.GetProperty("lastError").GetProperty("message").GetString());
        Assert.Equal(_store.Failed.Value, document.RootElement.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Hostile_values_are_printed_as_text_never_as_markup_or_terminal_escapes()
    {
        var list = await _store.RunAsync("jobs", "list", "--state", "DeadLettered");
        Assert.Contains(CliStore.HostileName, list.Output, StringComparison.Ordinal);
        Assert.Contains(CliStore.HostileTag, list.Output, StringComparison.Ordinal);

        var show = await _store.RunAsync("jobs", "show", _store.DeadLettered.ToString());
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("boom \\u001b[31mred[/] [bold]", show.Output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', show.Output);
    }

    [Fact]
    public async Task Jobs_requeue_moves_a_dead_letter_back_and_refuses_other_states_naming_the_rule()
    {
        var result = await _store.RunAsync("jobs", "requeue", _store.DeadLettered.ToString(), _store.Succeeded.ToString(), "999999");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{_store.DeadLettered}: requeued", result.Output, StringComparison.Ordinal);
        Assert.Contains($"job {_store.Succeeded} is Succeeded: only DeadLettered or Cancelled jobs can be requeued", result.Error, StringComparison.Ordinal);
        Assert.Contains("job 999999 was not found", result.Error, StringComparison.Ordinal);
        Assert.Equal(JobState.Pending, (await _store.GetAsync(_store.DeadLettered)).State);
        Assert.Equal(JobState.Succeeded, (await _store.GetAsync(_store.Succeeded)).State);
    }

    [Fact]
    public async Task Jobs_delete_deletes_finished_jobs_and_refuses_live_and_unknown_ones_naming_the_rule()
    {
        var result = await _store.RunAsync("jobs", "delete", _store.Succeeded.ToString(), _store.Cancelled.ToString(), _store.RunningLong.ToString(), "999999");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{_store.Succeeded}: deleted", result.Output, StringComparison.Ordinal);
        Assert.Contains($"{_store.Cancelled}: deleted", result.Output, StringComparison.Ordinal);
        Assert.Contains($"job {_store.RunningLong} is Running: only Succeeded, DeadLettered or Cancelled jobs can be deleted", result.Error, StringComparison.Ordinal);
        Assert.Contains("job 999999 was not found", result.Error, StringComparison.Ordinal);
        Assert.Null(await _store.Store.GetAsync(_store.Succeeded));
        Assert.Null(await _store.Store.GetAsync(_store.Cancelled));
        Assert.Equal(JobState.Running, (await _store.GetAsync(_store.RunningLong)).State);

        var dead = await _store.RunAsync("jobs", "delete", _store.DeadLettered.ToString());
        Assert.Equal(0, dead.ExitCode);
        Assert.Null(await _store.Store.GetAsync(_store.DeadLettered));
    }

    [Fact]
    public async Task Jobs_cancel_cancels_a_waiting_job_and_flags_a_running_one()
    {
        var result = await _store.RunAsync("jobs", "cancel", _store.Pending.ToString(), _store.RunningLong.ToString());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"{_store.Pending}: cancelled", result.Output, StringComparison.Ordinal);
        Assert.Contains($"{_store.RunningLong}: running; cancellation requested", result.Output, StringComparison.Ordinal);
        Assert.Equal(JobState.Cancelled, (await _store.GetAsync(_store.Pending)).State);
        var running = await _store.GetAsync(_store.RunningLong);
        Assert.Equal(JobState.Running, running.State);
        Assert.True(running.CancellationRequested);

        var finished = await _store.RunAsync("jobs", "cancel", _store.Succeeded.ToString());
        Assert.Equal(1, finished.ExitCode);
        Assert.Contains($"job {_store.Succeeded} has already finished", finished.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_purge_asks_first_and_deletes_only_after_yes()
    {
        var declined = new TestConsole().Width(400).Interactive();
        declined.Input.PushTextWithEnter("n");
        var no = await _store.RunAsync(declined, "jobs", "purge", "--state", "Succeeded");
        Assert.Equal(0, no.ExitCode);
        Assert.Contains("Delete 1 Succeeded job(s)", no.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing purged.", no.Output, StringComparison.Ordinal);
        Assert.NotNull(await _store.Store.GetAsync(_store.Succeeded));

        var accepted = new TestConsole().Width(400).Interactive();
        accepted.Input.PushTextWithEnter("y");
        var yes = await _store.RunAsync(accepted, "jobs", "purge", "--state", "Succeeded");
        Assert.Equal(0, yes.ExitCode);
        Assert.Contains("Purged 1 Succeeded job(s).", yes.Output, StringComparison.Ordinal);
        Assert.Null(await _store.Store.GetAsync(_store.Succeeded));
    }

    [Fact]
    public async Task Jobs_purge_without_a_terminal_needs_yes_and_keeps_younger_jobs_with_older_than()
    {
        var refused = await _store.RunAsync("jobs", "purge", "--state", "Cancelled");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("add --yes", refused.Error, StringComparison.Ordinal);
        Assert.NotNull(await _store.Store.GetAsync(_store.Cancelled));

        // The dead letter finished 10 days ago; the cancelled job an hour ago.
        var old = await _store.RunAsync("jobs", "purge", "--state", "DeadLettered", "--older-than", "7d", "--yes");
        Assert.Equal(0, old.ExitCode);
        Assert.Contains("Purged 1 DeadLettered job(s).", old.Output, StringComparison.Ordinal);
        Assert.Null(await _store.Store.GetAsync(_store.DeadLettered));

        var young = await _store.RunAsync("jobs", "purge", "--state", "Cancelled", "--older-than", "2h", "--yes");
        Assert.Contains("Nothing to purge", young.Output, StringComparison.Ordinal);
        Assert.NotNull(await _store.Store.GetAsync(_store.Cancelled));
    }

    [Fact]
    public async Task Stuck_reports_the_expired_lease_and_the_long_runner_with_their_repair_commands()
    {
        var result = await _store.RunAsync("stuck", "--running-longer-than", "30m");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("crashed-shard", result.Output, StringComparison.Ordinal);
        Assert.Contains("lease expired 9m 0s ago", result.Output, StringComparison.Ordinal);
        Assert.Contains("long-report", result.Output, StringComparison.Ordinal);
        Assert.Contains("running for 1h 0m", result.Output, StringComparison.Ordinal);
        Assert.Contains("taskrunner recover", result.Output, StringComparison.Ordinal);
        Assert.Contains($"taskrunner jobs cancel {_store.RunningLong}", result.Output, StringComparison.Ordinal);

        // Over a longer threshold only the job whose worker is gone is stuck.
        var json = await _store.RunAsync("stuck", "--running-longer-than", "2h", "--json");
        using var document = JsonDocument.Parse(json.Output);
        var only = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal(_store.Expired.Value, only.GetProperty("job").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Recover_returns_the_expired_lease_to_pending_and_leaves_the_live_one()
    {
        var result = await _store.RunAsync("recover");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("1 requeued, 0 dead-lettered", result.Output, StringComparison.Ordinal);
        var recovered = await _store.GetAsync(_store.Expired);
        Assert.Equal(JobState.Pending, recovered.State);
        Assert.Equal(1, recovered.Attempts);
        Assert.Equal(JobState.Running, (await _store.GetAsync(_store.RunningLong)).State);

        var stuck = await _store.RunAsync("stuck", "--running-longer-than", "2h");
        Assert.Contains("No stuck jobs", stuck.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedules_list_pause_resume_and_trigger()
    {
        var list = await _store.RunAsync("schedules", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("nightly-report", list.Output, StringComparison.Ordinal);
        Assert.Contains("0 2 * * *", list.Output, StringComparison.Ordinal);
        Assert.Contains("2026-06-02 02:00:00Z", list.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await _store.RunAsync("schedules", "pause", "nightly-report")).ExitCode);
        Assert.True((await _store.Schedules.GetAsync("nightly-report"))!.Paused);
        var json = await _store.RunAsync("schedules", "list", "--json");
        using (var document = JsonDocument.Parse(json.Output))
        {
            Assert.True(document.RootElement[0].GetProperty("paused").GetBoolean());
        }

        Assert.Equal(0, (await _store.RunAsync("schedules", "resume", "nightly-report")).ExitCode);
        Assert.False((await _store.Schedules.GetAsync("nightly-report"))!.Paused);

        var trigger = await _store.RunAsync("schedules", "trigger", "nightly-report");
        Assert.Equal(0, trigger.ExitCode);
        var triggered = await _store.Store.ListAsync(new JobQuery { JobName = "build-report", State = JobState.Pending });
        var job = Assert.Single(triggered);
        Assert.Equal("reports", job.Queue);
        Assert.Equal("{\"region\":\"eu\"}", System.Text.Encoding.UTF8.GetString(job.Payload.Span));
        Assert.Contains($"triggered, job {job.Id}", trigger.Output, StringComparison.Ordinal);

        var missing = await _store.RunAsync("schedules", "pause", "no-such");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No recurring job is named 'no-such'", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_lists_the_registered_worker_and_the_work_no_node_serves()
    {
        var result = await _store.RunAsync("nodes");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("worker-1", result.Output, StringComparison.Ordinal);
        Assert.Contains("box-a", result.Output, StringComparison.Ordinal);
        Assert.Contains("(10s ago)", result.Output, StringComparison.Ordinal);
        // The scheduled build-report job is not pending yet; nothing in queue 'reports' waits for a worker.
        Assert.DoesNotContain("Unserved: ", result.Output, StringComparison.Ordinal);

        await _store.Store.EnqueueAsync([new NewJob { Name = "orphan", Queue = "reports", RunAt = CliStore.Now }], CliStore.Now);
        var unserved = await _store.RunAsync("nodes");
        Assert.Contains("Unserved: 1 pending 'orphan' job(s) in queue 'reports'", unserved.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locks_lists_the_held_locks_with_owner_token_and_expiry_and_leaves_out_expired_ones()
    {
        var held = await _store.Locks.TryAcquireAsync("nightly-import", "worker-1", CliStore.Now.AddMinutes(-1), CliStore.Now.AddMinutes(4));
        await _store.Locks.TryAcquireAsync(CliStore.HostileName, "worker-2", CliStore.Now.AddMinutes(-1), CliStore.Now.AddMinutes(1));
        await _store.Locks.TryAcquireAsync("expired", "worker-3", CliStore.Now.AddMinutes(-10), CliStore.Now.AddMinutes(-5));

        var result = await _store.RunAsync("locks");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("nightly-import", result.Output, StringComparison.Ordinal);
        Assert.Contains("worker-1", result.Output, StringComparison.Ordinal);
        Assert.Contains(CliStore.HostileName, result.Output, StringComparison.Ordinal); // printed as text, not markup
        Assert.DoesNotContain("expired", result.Output, StringComparison.Ordinal);
        Assert.Contains("2 lock(s) held", result.Output, StringComparison.Ordinal);

        var json = await _store.RunAsync("locks", "--json");
        using var document = JsonDocument.Parse(json.Output);
        var first = document.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "nightly-import");
        Assert.Equal(held!.Value.FencingToken, first.GetProperty("fencingToken").GetInt64());
        Assert.Equal("worker-1", first.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Stats_counts_by_state_in_total_and_per_queue()
    {
        var result = await _store.RunAsync("stats", "--queue", "reports", "--json");
        Assert.Equal(0, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        var total = document.RootElement.GetProperty("total");
        Assert.Equal(8, total.GetProperty("total").GetInt64());
        Assert.Equal(2, total.GetProperty("running").GetInt64());
        Assert.Equal(1, total.GetProperty("deadLettered").GetInt64());
        var queues = document.RootElement.GetProperty("queues");
        Assert.Equal(7, queues.GetProperty("default").GetProperty("total").GetInt64());
        Assert.Equal(1, queues.GetProperty("reports").GetProperty("scheduled").GetInt64());

        var table = await _store.RunAsync("stats");
        Assert.Contains("(all)", table.Output, StringComparison.Ordinal);
        Assert.Contains("default", table.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'Bogus' is not a job state", "jobs", "list", "--state", "Bogus")]
    [InlineData("'7' is not a job state", "jobs", "list", "--state", "7")]
    [InlineData("--limit 0 is out of range", "jobs", "list", "--limit", "0")]
    [InlineData("'abc' is not a job id", "jobs", "list", "--after", "abc")]
    [InlineData("'xyz' is not a batch id", "jobs", "list", "--batch", "xyz")]
    [InlineData("'x1' is not a job id", "jobs", "show", "x1")]
    [InlineData("'12q' is not a job id", "jobs", "requeue", "3", "12q")]
    [InlineData("--state Running cannot be purged", "jobs", "purge", "--state", "Running", "--yes")]
    [InlineData("'7x' is not a duration", "jobs", "purge", "--state", "Succeeded", "--older-than", "7x")]
    [InlineData("'-5m' is not a duration", "stuck", "--running-longer-than", "-5m")]
    [InlineData("Job 424242 was not found", "jobs", "show", "424242")]
    public async Task Bad_input_exits_with_1_and_names_the_value_and_the_rule_without_a_stack_trace(string message, params string[] args)
    {
        var result = await _store.RunAsync(args);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_store_comes_from_the_environment_and_a_missing_or_double_store_is_an_error()
    {
        var fromVariable = await _store.RunRawAsync(new Dictionary<string, string> { ["TASKRUNNER_SQLITE"] = _store.Path }, "jobs", "list", "--state", "Scheduled", "--json");
        Assert.Equal(0, fromVariable.ExitCode);
        Assert.Equal([_store.Scheduled], Ids(fromVariable.Output));

        var none = await _store.RunRawAsync(new Dictionary<string, string>(), "stats");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("No store was named", none.Error, StringComparison.Ordinal);

        var missingPath = Path.Combine(Path.GetTempPath(), "taskrunner-tests", Guid.NewGuid().ToString("N"), "typo.db");
        var missing = await _store.RunRawAsync(new Dictionary<string, string>(), "stats", "--sqlite", missingPath);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"--sqlite '{missingPath}': no such file", missing.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(missingPath), "a mistyped path must not create an empty store");

        var both = await _store.RunRawAsync(new Dictionary<string, string>(), "stats", "--sqlite", _store.Path, "--postgres", "Host=localhost");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("Both a SQLite file and a PostgreSQL connection", both.Error, StringComparison.Ordinal);

        var malformed = await _store.RunRawAsync(new Dictionary<string, string>(), "stats", "--postgres", "Hots=x;;=");
        Assert.Equal(1, malformed.ExitCode);
        Assert.Contains("--postgres is not a valid PostgreSQL connection string", malformed.Error, StringComparison.Ordinal);
    }

    private static JobId[] Ids(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => new JobId(e.GetProperty("id").GetInt64()))];
    }
}
