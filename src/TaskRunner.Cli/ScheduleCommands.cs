using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace TaskRunner.Cli;

/// <summary><c>schedules list|pause|resume|trigger</c>.</summary>
internal static class ScheduleCommands
{
    public static Command Create(StoreOptions store, CliEnvironment environment)
    {
        var schedules = new Command("schedules", "List, pause, resume and trigger recurring jobs.");
        schedules.Subcommands.Add(List(store, environment));
        schedules.Subcommands.Add(Pause(store, environment, "pause", paused: true));
        schedules.Subcommands.Add(Pause(store, environment, "resume", paused: false));
        schedules.Subcommands.Add(Trigger(store, environment));
        return schedules;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "The recurring job's name." };

    private static Command List(StoreOptions store, CliEnvironment environment)
    {
        var json = JobCommands.JsonOption();
        var command = new Command("list", "List recurring jobs with their cron, time zone, state and next occurrence.") { json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var list = await session.Schedules.ListAsync(ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(list.Select(i => new
                {
                    name = i.Schedule.Name,
                    cron = i.Schedule.Cron,
                    timeZoneId = i.Schedule.TimeZoneId,
                    jobName = i.Schedule.JobName,
                    queue = i.Schedule.Queue,
                    paused = i.Schedule.Paused,
                    misfirePolicy = i.Schedule.MisfirePolicy.ToString(),
                    lastOccurrence = i.Schedule.LastOccurrence,
                    nextOccurrence = i.NextOccurrence,
                    payload = JsonPayload(i.Schedule.Payload),
                }), CliFormat.Json));
                return CliApp.Ok;
            }

            var table = CliFormat.NewTable("Name", "Cron", "Time zone", "Job", "Queue", "State", "Last", "Next");
            foreach (var i in list)
            {
                var s = i.Schedule;
                table.AddRow(CliFormat.Cell(s.Name), CliFormat.Cell(s.Cron), CliFormat.Cell(s.TimeZoneId), CliFormat.Cell(s.JobName), CliFormat.Cell(s.Queue ?? "(job's)"),
                    CliFormat.Cell(s.Paused ? "paused" : "active"), CliFormat.Cell(CliFormat.Time(s.LastOccurrence)), CliFormat.Cell(s.Paused ? "-" : CliFormat.Time(i.NextOccurrence)));
            }

            environment.Terminal.Write(table);
            environment.Terminal.Write(new Text($"{list.Count} recurring job(s)\n"));
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Pause(StoreOptions store, CliEnvironment environment, string verb, bool paused)
    {
        var name = NameArgument();
        var command = new Command(verb, paused ? "Pause a recurring job: no occurrence fires until it is resumed." : "Resume a paused recurring job.") { name };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var schedule = parse.GetValue(name)!;
            var found = paused
                ? await session.Schedules.PauseAsync(schedule, ct).ConfigureAwait(false)
                : await session.Schedules.ResumeAsync(schedule, ct).ConfigureAwait(false);
            if (!found)
            {
                throw new CliUserException($"No recurring job is named '{schedule}' in {session.Description} (taskrunner schedules list shows them).");
            }

            environment.Terminal.Write(new Text($"{schedule}: {(paused ? "paused" : "resumed")}\n"));
            return CliApp.Ok;
        });
        return command;
    }

    private static Command Trigger(StoreOptions store, CliEnvironment environment)
    {
        var name = NameArgument();
        var command = new Command("trigger", "Enqueue one run of a recurring job now, besides its regular occurrences.") { name };
        command.SetUserAction(environment, async (parse, ct) =>
        {
            var scheduleName = parse.GetValue(name)!;
            ScheduleRecord schedule;
            var lookup = await store.OpenAsync(parse, environment, null, ct).ConfigureAwait(false);
            await using (lookup.ConfigureAwait(false))
            {
                schedule = await lookup.ScheduleStore.GetAsync(scheduleName, ct).ConfigureAwait(false)
                    ?? throw new CliUserException($"No recurring job is named '{scheduleName}' in {lookup.Description} (taskrunner schedules list shows them).");
            }

            // The tool has no handlers: it declares the schedule's job by name (its payload is stored JSON already), so the
            // trigger enqueues exactly what the scheduler would, with the schedule's queue.
            var session = await store.OpenAsync(parse, environment, b => b.DeclareJob<JsonElement>(schedule.JobName), ct).ConfigureAwait(false);
            JobId id;
            await using (session.ConfigureAwait(false))
            {
                id = await session.Schedules.TriggerAsync(scheduleName, ct).ConfigureAwait(false)
                    ?? throw new CliUserException($"The recurring job '{scheduleName}' was removed meanwhile.");
            }

            environment.Terminal.Write(new Text($"{scheduleName}: triggered, job {id}\n"));
            return CliApp.Ok;
        });
        return command;
    }

    private static JsonElement? JsonPayload(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
