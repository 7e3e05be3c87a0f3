using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace TaskRunner.Cli;

/// <summary><c>jobs list|show|requeue|cancel|delete|purge</c>.</summary>
internal static class JobCommands
{
    private static readonly JobState[] PurgeableStates = [JobState.Succeeded, JobState.DeadLettered, JobState.Cancelled];

    public static Command Create(StoreOptions store, CliEnvironment environment)
    {
        var jobs = new Command("jobs", "List, show, requeue, cancel, delete and purge jobs.");
        jobs.Subcommands.Add(List(store, environment));
        jobs.Subcommands.Add(Show(store, environment));
        jobs.Subcommands.Add(Requeue(store, environment));
        jobs.Subcommands.Add(Cancel(store, environment));
        jobs.Subcommands.Add(Delete(store, environment));
        jobs.Subcommands.Add(Purge(store, environment));
        return jobs;
    }

    public static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of a table, for scripts." };

    private static Command List(StoreOptions store, CliEnvironment environment)
    {
        var state = new Option<JobState?>("--state") { Description = "Only jobs in this state.", CustomParser = CliParsers.State };
        var queue = new Option<string?>("--queue") { Description = "Only jobs of this queue." };
        var name = new Option<string?>("--name") { Description = "Only jobs with this job name." };
        var tag = new Option<string?>("--tag") { Description = "Only jobs carrying this tag." };
        var batch = new Option<BatchId?>("--batch") { Description = "Only jobs of this batch.", CustomParser = CliParsers.Batch };
        var limit = new Option<int>("--limit") { Description = $"At most this many jobs (1 to {JobQuery.MaxLimit}).", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(r =>
        {
            var l = r.GetValueOrDefault<int>();
            if (l is < 1 or > JobQuery.MaxLimit)
            {
                r.AddError(string.Create(CultureInfo.InvariantCulture, $"--limit {l} is out of range: it must be between 1 and {JobQuery.MaxLimit}."));
            }
        });
        var after = new Option<JobId?>("--after") { Description = "Only jobs after this id (the next page).", CustomParser = CliParsers.JobIdValue };
        var json = JsonOption();
        var command = new Command("list", "List jobs in id order, filtered.") { state, queue, name, tag, batch, limit, after, json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var query = new JobQuery
            {
                State = parse.GetValue(state),
                Queue = parse.GetValue(queue),
                JobName = parse.GetValue(name),
                Tag = parse.GetValue(tag),
                BatchId = parse.GetValue(batch),
                Limit = parse.GetValue(limit),
                AfterId = parse.GetValue(after),
            };
            var records = await session.Jobs.ListAsync(query, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(records, CliFormat.Json));
                return CliApp.Ok;
            }

            var table = CliFormat.NewTable("Id", "Name", "Queue", "State", "Attempts", "Run at", "Finished", "Tags");
            foreach (var r in records)
            {
                table.AddRow(CliFormat.Cell(r.Id.ToString()), CliFormat.Cell(r.Name), CliFormat.Cell(r.Queue), CliFormat.Cell(r.State.ToString()),
                    CliFormat.Cell(string.Create(CultureInfo.InvariantCulture, $"{r.Attempts}/{r.MaxAttempts}")),
                    CliFormat.Cell(CliFormat.Time(r.RunAt)), CliFormat.Cell(CliFormat.Time(r.FinishedAt)), CliFormat.Cell(string.Join(", ", r.Tags)));
            }

            environment.Terminal.Write(table);
            environment.Terminal.Write(new Text(records.Count == query.Limit
                ? $"{records.Count} job(s); more may follow: --after {records[^1].Id}\n"
                : $"{records.Count} job(s)\n"));
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Show(StoreOptions store, CliEnvironment environment)
    {
        var id = new Argument<JobId>("id") { Description = "The job's id.", CustomParser = r => CliParsers.JobIdValue(r) ?? default };
        var json = JsonOption();
        var command = new Command("show", "Show every fact of one job: times, lease, progress, payload, result, error and stack.") { id, json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var jobId = parse.GetValue(id);
            var r = await session.Jobs.GetAsync(jobId, ct).ConfigureAwait(false)
                ?? throw new CliUserException($"Job {jobId} was not found in {session.Description}.");
            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(r, CliFormat.Json));
                return CliApp.Ok;
            }

            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            void Row(string label, string? value) => grid.AddRow(new Text(label, new Style(decoration: Decoration.Bold)), CliFormat.Cell(value));
            Row("Id", r.Id.ToString());
            Row("Name", r.Name);
            Row("Queue", r.Queue);
            Row("State", r.State.ToString() + (r.CancellationRequested ? " (cancellation requested)" : string.Empty));
            Row("Priority", r.Priority.ToString(CultureInfo.InvariantCulture));
            Row("Attempts", string.Create(CultureInfo.InvariantCulture, $"{r.Attempts} of {r.MaxAttempts}"));
            Row("Created", CliFormat.Time(r.CreatedAt));
            Row("Run at", CliFormat.Time(r.RunAt));
            Row("First started", CliFormat.Time(r.FirstStartedAt));
            Row("Last started", CliFormat.Time(r.LastStartedAt));
            Row("Finished", CliFormat.Time(r.FinishedAt));
            Row("Timeout", r.Timeout?.ToString("c", CultureInfo.InvariantCulture));
            Row("Owner", r.Owner);
            Row("Lease", r.LeaseExpiresAt is null ? null : string.Create(CultureInfo.InvariantCulture, $"token {r.LeaseToken}, expires {CliFormat.Time(r.LeaseExpiresAt)}"));
            Row("Unique key", r.UniqueKey);
            Row("Idempotency key", r.IdempotencyKey);
            Row("Concurrency key", r.ConcurrencyKey is null ? null : string.Create(CultureInfo.InvariantCulture, $"{r.ConcurrencyKey} (limit {r.ConcurrencyLimit})"));
            Row("Tags", r.Tags.Count == 0 ? null : string.Join(", ", r.Tags));
            Row("Batch", r.BatchId?.ToString());
            Row("Continuation of", r.ContinuationOf?.ToString());
            Row("Occurrence", CliFormat.Time(r.OccurrenceAt));
            Row("Progress", r.ProgressPercent is null ? null : string.Create(CultureInfo.InvariantCulture, $"{r.ProgressPercent}% {r.ProgressMessage}"));
            Row("Trace parent", r.TraceParent);
            Row("Payload", CliFormat.IndentedJson(r.Payload));
            Row("Result", CliFormat.IndentedJson(r.Result));
            Row("Error", r.LastError is null ? null : $"{r.LastError.Type}: {r.LastError.Message}");
            Row("Stack", r.LastError?.StackTrace);
            environment.Terminal.Write(grid);
            return CliApp.Ok;
        });
        return command;
    }

    private static Argument<JobId[]> IdsArgument() =>
        new("ids") { Description = "One or more job ids.", Arity = ArgumentArity.OneOrMore, CustomParser = CliParsers.JobIds };

    private static Command Requeue(StoreOptions store, CliEnvironment environment) => PerJobCommand(
        store, environment, "requeue", "Move dead-lettered or cancelled jobs back to Pending, their attempts reset.",
        static (session, id, ct) => session.Jobs.RequeueAsync(id, ct), "requeued", "only DeadLettered or Cancelled jobs can be requeued.");

    private static Command Cancel(StoreOptions store, CliEnvironment environment)
    {
        var ids = IdsArgument();
        var command = new Command("cancel", "Cancel waiting jobs; for a running job, request cancellation (its token fires at its worker's next heartbeat).") { ids };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var failed = 0;
            foreach (var id in parse.GetValue(ids) ?? [])
            {
                var result = await session.Jobs.CancelAsync(id, ct).ConfigureAwait(false);
                switch (result)
                {
                    case CancelResult.Cancelled:
                        environment.Terminal.Write(new Text($"{id}: cancelled\n"));
                        break;
                    case CancelResult.CancellationRequested:
                        environment.Terminal.Write(new Text($"{id}: running; cancellation requested\n"));
                        break;
                    case CancelResult.AlreadyFinished:
                        failed++;
                        await environment.Error.WriteLineAsync($"taskrunner: job {id} has already finished: only unfinished jobs can be cancelled.").ConfigureAwait(false);
                        break;
                    default:
                        failed++;
                        await environment.Error.WriteLineAsync($"taskrunner: job {id} was not found.").ConfigureAwait(false);
                        break;
                }
            }

            return failed == 0 ? CliApp.Ok : CliApp.UserError;
        });
        return command;
    }

    private static Command Delete(StoreOptions store, CliEnvironment environment) => PerJobCommand(
        store, environment, "delete", "Delete finished jobs (Succeeded, DeadLettered or Cancelled); a waiting or running job is left alone.",
        static (session, id, ct) => session.Jobs.DeleteAsync(id, ct), "deleted", "only Succeeded, DeadLettered or Cancelled jobs can be deleted (cancel it first).");

    /// <summary>A command that applies <paramref name="act"/> to every id given, says <paramref name="done"/> for each it
    /// did, and for each it could not, why (not found, or its state and <paramref name="rule"/>); exit 1 if any failed.</summary>
    private static Command PerJobCommand(StoreOptions store, CliEnvironment environment, string name, string description,
        Func<StoreSession, JobId, CancellationToken, ValueTask<bool>> act, string done, string rule)
    {
        var ids = IdsArgument();
        var command = new Command(name, description) { ids };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var failed = 0;
            foreach (var id in parse.GetValue(ids) ?? [])
            {
                if (await act(session, id, ct).ConfigureAwait(false))
                {
                    environment.Terminal.Write(new Text($"{id}: {done}\n"));
                    continue;
                }

                failed++;
                var record = await session.Jobs.GetAsync(id, ct).ConfigureAwait(false);
                await environment.Error.WriteLineAsync(record is null
                    ? $"taskrunner: job {id} was not found."
                    : $"taskrunner: job {id} is {record.State}: {rule}").ConfigureAwait(false);
            }

            return failed == 0 ? CliApp.Ok : CliApp.UserError;
        });
        return command;
    }

    private static Command Purge(StoreOptions store, CliEnvironment environment)
    {
        var state = new Option<JobState?>("--state")
        {
            Description = "Delete finished jobs in this state: Succeeded, DeadLettered or Cancelled.",
            Required = true,
            CustomParser = CliParsers.State,
        };
        state.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<JobState?>() is { } s && !PurgeableStates.Contains(s))
            {
                r.AddError($"--state {s} cannot be purged: only finished jobs can, Succeeded, DeadLettered or Cancelled.");
            }
        });
        var olderThan = new Option<TimeSpan?>("--older-than") { Description = "Only jobs that finished longer ago than this (30m, 12h, 7d).", CustomParser = CliParsers.Duration };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };
        var command = new Command("purge", "Delete finished jobs of one state, optionally only those finished before a cutoff.") { state, olderThan, yes };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var purged = parse.GetValue(state)!.Value;
            DateTimeOffset? before = parse.GetValue(olderThan) is { } age ? environment.Time.GetUtcNow() - age : null;
            var query = new JobQuery { State = purged, FinishedBefore = before };
            var matching = (await session.JobStore.CountMatchingAsync(query, ct).ConfigureAwait(false))[purged];
            var what = before is null ? $"{matching} {purged} job(s)" : $"{matching} {purged} job(s) finished before {CliFormat.Time(before)}";
            if (matching == 0)
            {
                environment.Terminal.Write(new Text($"Nothing to purge: {what}.\n"));
                return CliApp.Ok;
            }

            if (!parse.GetValue(yes))
            {
                if (!environment.Terminal.Profile.Capabilities.Interactive)
                {
                    throw new CliUserException($"Purging {what} needs confirmation, and input is not a terminal: add --yes to purge without asking.");
                }

                if (!await environment.Terminal.ConfirmAsync($"Delete {Markup.Escape(what)} from {Markup.Escape(session.Description)}?", defaultValue: false, ct).ConfigureAwait(false))
                {
                    environment.Terminal.Write(new Text("Nothing purged.\n"));
                    return CliApp.Ok;
                }
            }

            var total = 0;
            while (true)
            {
                // In slices, so one statement never holds the store's write lock (SQLite) for the whole purge.
                var deleted = await session.JobStore.PurgeAsync(new PurgeRequest { State = purged, FinishedBefore = before, MaxCount = 10_000 }, ct).ConfigureAwait(false);
                total += deleted;
                if (deleted < 10_000)
                {
                    break;
                }
            }

            environment.Terminal.Write(new Text($"Purged {total} {purged} job(s).\n"));
            return CliApp.Ok;
        });
        return command;
    }
}
