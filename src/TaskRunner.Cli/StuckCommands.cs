using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace TaskRunner.Cli;

/// <summary><c>stuck</c> and <c>recover</c>: seed 002's recovery recipes ("identify stuck shards", "reset stuck shards",
/// hand-typed in sqlite3) as commands that keep the store's rules — a job whose lease expired is recovered as the engine
/// recovers it (the lost attempt counts, the last one dead-letters); a job still holding a live lease is never taken from
/// its worker, only asked to cancel.</summary>
internal static class StuckCommands
{
    private const int RecoverSlice = 1000;

    public static Command CreateStuck(StoreOptions store, CliEnvironment environment)
    {
        var threshold = new Option<TimeSpan?>("--running-longer-than")
        {
            Description = "Report running jobs started longer ago than this (30m, 2h, 1d); default 30m.",
            CustomParser = CliParsers.Duration,
        };
        var json = JobCommands.JsonOption();
        var command = new Command("stuck", "List running jobs whose lease expired (their worker is gone) or that run longer than a threshold, and the commands that repair them.") { threshold, json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var limit = parse.GetValue(threshold) ?? TimeSpan.FromMinutes(30);
            var now = environment.Time.GetUtcNow();
            var stuck = new List<(JobRecord Job, string Reason)>();
            await foreach (var job in session.Jobs.ListAllAsync(new JobQuery { State = JobState.Running, Limit = JobQuery.MaxLimit }, ct).ConfigureAwait(false))
            {
                if (job.LeaseExpiresAt is { } expiry && expiry < now)
                {
                    stuck.Add((job, $"lease expired {CliFormat.Duration(now - expiry)} ago"));
                }
                else if (job.LastStartedAt is { } started && now - started > limit)
                {
                    stuck.Add((job, $"running for {CliFormat.Duration(now - started)}"));
                }
            }

            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(stuck.Select(s => new { reason = s.Reason, job = s.Job }), CliFormat.Json));
                return CliApp.Ok;
            }

            if (stuck.Count == 0)
            {
                environment.Terminal.Write(new Text($"No stuck jobs: none running longer than {CliFormat.Duration(limit)}, no expired lease.\n"));
                return CliApp.Ok;
            }

            var table = CliFormat.NewTable("Id", "Name", "Queue", "Owner", "Started", "Lease expires", "Attempts", "Why");
            foreach (var (job, reason) in stuck)
            {
                table.AddRow(CliFormat.Cell(job.Id.ToString()), CliFormat.Cell(job.Name), CliFormat.Cell(job.Queue), CliFormat.Cell(job.Owner),
                    CliFormat.Cell(CliFormat.Time(job.LastStartedAt)), CliFormat.Cell(CliFormat.Time(job.LeaseExpiresAt)),
                    CliFormat.Cell(string.Create(CultureInfo.InvariantCulture, $"{job.Attempts}/{job.MaxAttempts}")), CliFormat.Cell(reason));
            }

            environment.Terminal.Write(table);
            var expired = stuck.Where(s => s.Job.LeaseExpiresAt < now).Select(s => s.Job.Id.ToString()).ToList();
            var slow = stuck.Where(s => !(s.Job.LeaseExpiresAt < now)).Select(s => s.Job.Id.ToString()).ToList();
            if (expired.Count > 0)
            {
                environment.Terminal.Write(new Text($"{expired.Count} job(s) with an expired lease: their worker stopped. Give them back to the queue (or dead-letter those on their last attempt):\n  taskrunner recover\n"));
            }

            if (slow.Count > 0)
            {
                environment.Terminal.Write(new Text($"{slow.Count} job(s) still heartbeating: their worker is alive. Ask them to stop, if they hang:\n  taskrunner jobs cancel {string.Join(' ', slow)}\n"));
            }

            return CliApp.Ok;
        });
        return command;
    }

    public static Command CreateRecover(StoreOptions store, CliEnvironment environment)
    {
        var command = new Command("recover", "Recover jobs whose lease expired now, as a worker's sweep would: back to Pending (the lost attempt counts), or dead-lettered on their last attempt.");
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var requeued = 0;
            var deadLettered = 0;
            while (true)
            {
                var result = await session.JobStore.RecoverExpiredLeasesAsync(environment.Time.GetUtcNow(), RecoverSlice, ct).ConfigureAwait(false);
                requeued += result.Requeued;
                deadLettered += result.DeadLettered;
                if (result.Requeued + result.DeadLettered < RecoverSlice)
                {
                    break;
                }
            }

            environment.Terminal.Write(new Text($"Recovered expired leases: {requeued} requeued, {deadLettered} dead-lettered.\n"));
            return CliApp.Ok;
        });
        return command;
    }
}
