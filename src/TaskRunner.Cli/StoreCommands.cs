using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace TaskRunner.Cli;

/// <summary><c>nodes</c>, <c>locks</c> and <c>stats</c>: who works on the store, what it holds locked, and how much work it
/// holds.</summary>
internal static class StoreCommands
{
    private static readonly JobState[] States = Enum.GetValues<JobState>();

    public static Command CreateNodes(StoreOptions store, CliEnvironment environment)
    {
        var json = JobCommands.JsonOption();
        var command = new Command("nodes", "List the worker processes registered in the store, and pending work no live worker serves.") { json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var nodes = await session.Nodes.ListAsync(ct).ConfigureAwait(false);
            var pending = await session.Nodes.ListPendingWorkAsync(ct).ConfigureAwait(false);
            var unserved = pending.Where(w => !nodes.Any(n => n.Serves(w.Queue, w.JobName))).ToList();
            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(new { nodes, unserved }, CliFormat.Json));
                return CliApp.Ok;
            }

            var now = environment.Time.GetUtcNow();
            var table = CliFormat.NewTable("Node", "Host", "Version", "Queues", "Jobs", "Started", "Last heartbeat");
            foreach (var n in nodes)
            {
                table.AddRow(CliFormat.Cell(n.Id), CliFormat.Cell(n.Host), CliFormat.Cell(n.Version), CliFormat.Cell(string.Join(", ", n.Queues)),
                    CliFormat.Cell(n.ClaimsAnyJobName ? "(any)" : string.Join(", ", n.JobNames)), CliFormat.Cell(CliFormat.Time(n.StartedAt)),
                    CliFormat.Cell($"{CliFormat.Time(n.LastHeartbeatAt)} ({CliFormat.Duration(now - n.LastHeartbeatAt)} ago)"));
            }

            environment.Terminal.Write(table);
            environment.Terminal.Write(new Text($"{nodes.Count} node(s)\n"));
            foreach (var w in unserved)
            {
                environment.Terminal.Write(new Text($"Unserved: {w.Count} pending '{w.JobName}' job(s) in queue '{w.Queue}': no registered node runs them.\n"));
            }

            return CliApp.Ok;
        });
        return command;
    }

    public static Command CreateLocks(StoreOptions store, CliEnvironment environment)
    {
        var json = JobCommands.JsonOption();
        var command = new Command("locks", "List the distributed locks held now: name, owner, fencing token and expiry.") { json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            var now = environment.Time.GetUtcNow();
            var locks = await session.Locks.ListAsync(now, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(locks, CliFormat.Json));
                return CliApp.Ok;
            }

            var table = CliFormat.NewTable("Lock", "Owner", "Token", "Expires");
            foreach (var held in locks)
            {
                table.AddRow(CliFormat.Cell(held.Name), CliFormat.Cell(held.Owner), CliFormat.Cell(held.FencingToken),
                    CliFormat.Cell($"{CliFormat.Time(held.ExpiresAt)} (in {CliFormat.Duration(held.ExpiresAt - now)})"));
            }

            environment.Terminal.Write(table);
            environment.Terminal.Write(new Text($"{locks.Count} lock(s) held\n"));
            return CliApp.Ok;
        });
        return command;
    }

    public static Command CreateStats(StoreOptions store, CliEnvironment environment)
    {
        var queues = new Option<string[]>("--queue") { Description = "Also count these queues (repeatable); queues with pending work or a serving node are counted always.", AllowMultipleArgumentsPerToken = true };
        var json = JobCommands.JsonOption();
        var command = new Command("stats", "Count jobs by state, in total and per queue.") { queues, json };
        command.SetStoreAction(store, environment, async (parse, session, ct) =>
        {
            // The contract has no queue listing; the queues known to the store are those of pending work and of the
            // registered nodes, plus any asked for by name.
            var names = new SortedSet<string>(parse.GetValue(queues) ?? [], StringComparer.Ordinal);
            foreach (var w in await session.Nodes.ListPendingWorkAsync(ct).ConfigureAwait(false))
            {
                names.Add(w.Queue);
            }

            foreach (var n in await session.Nodes.ListAsync(ct).ConfigureAwait(false))
            {
                names.UnionWith(n.Queues);
            }

            var total = await session.JobStore.CountAsync(null, ct).ConfigureAwait(false);
            var perQueue = new List<(string Queue, JobCounts Counts)>();
            foreach (var queue in names)
            {
                perQueue.Add((queue, await session.JobStore.CountAsync(queue, ct).ConfigureAwait(false)));
            }

            if (parse.GetValue(json))
            {
                environment.WriteRaw(JsonSerializer.Serialize(new { total, queues = perQueue.ToDictionary(q => q.Queue, q => q.Counts) }, CliFormat.Json));
                return CliApp.Ok;
            }

            var table = CliFormat.NewTable(["Queue", .. States.Select(s => s.ToString()), "Total"]);
            foreach (var (queue, counts) in perQueue)
            {
                table.AddRow([CliFormat.Cell(queue), .. States.Select(s => CliFormat.Cell(counts[s])), CliFormat.Cell(counts.Total)]);
            }

            table.AddRow([new Text("(all)", new Style(decoration: Decoration.Bold)), .. States.Select(s => CliFormat.Cell(total[s])), CliFormat.Cell(total.Total)]);
            environment.Terminal.Write(table);
            return CliApp.Ok;
        });
        return command;
    }
}
