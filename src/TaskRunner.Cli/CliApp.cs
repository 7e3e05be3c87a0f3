using System.CommandLine;

namespace TaskRunner.Cli;

/// <summary>The <c>taskrunner</c> command tree and its run: parse errors and user errors go to the error stream with exit
/// code 1 and no stack trace.</summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int UserError = 1;

    /// <summary>Runs one command line against the given terminal, as the installed tool does.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = BuildCommand(environment);
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = environment.Terminal.Profile.Out.Writer,
            Error = environment.Error,
            // Our actions report user errors themselves; anything else is a bug and keeps its stack trace.
            EnableDefaultExceptionHandler = true,
        };
        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    internal static RootCommand BuildCommand(CliEnvironment environment)
    {
        var store = new StoreOptions();
        var root = new RootCommand("Inspect and repair a TaskRunner store (a SQLite file or a PostgreSQL database): jobs, stuck work, schedules, nodes, locks, counts.");
        root.Options.Add(store.Sqlite);
        root.Options.Add(store.Postgres);
        root.Options.Add(store.Schema);
        root.Subcommands.Add(JobCommands.Create(store, environment));
        root.Subcommands.Add(StuckCommands.CreateStuck(store, environment));
        root.Subcommands.Add(StuckCommands.CreateRecover(store, environment));
        root.Subcommands.Add(ScheduleCommands.Create(store, environment));
        root.Subcommands.Add(StoreCommands.CreateNodes(store, environment));
        root.Subcommands.Add(StoreCommands.CreateLocks(store, environment));
        root.Subcommands.Add(StoreCommands.CreateStats(store, environment));
        return root;
    }

    /// <summary>An action that opens the store, runs, and turns a user error into a message and exit code 1.</summary>
    public static void SetStoreAction(this Command command, StoreOptions store, CliEnvironment environment,
        Func<ParseResult, StoreSession, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var session = await store.OpenAsync(parse, environment, null, cancellationToken).ConfigureAwait(false);
                await using (session.ConfigureAwait(false))
                {
                    return await action(parse, session, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is CliUserException or ArgumentException)
            {
                await environment.Error.WriteLineAsync($"taskrunner: {CliFormat.Printable(ex.Message)}").ConfigureAwait(false);
                return UserError;
            }
        });

    /// <summary>As <see cref="SetStoreAction"/>, for an action that opens the store itself.</summary>
    public static void SetUserAction(this Command command, CliEnvironment environment, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CliUserException or ArgumentException)
            {
                await environment.Error.WriteLineAsync($"taskrunner: {CliFormat.Printable(ex.Message)}").ConfigureAwait(false);
                return UserError;
            }
        });
}
