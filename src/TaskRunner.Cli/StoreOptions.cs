using System.CommandLine;

namespace TaskRunner.Cli;

/// <summary>The global options that name the store.</summary>
internal sealed class StoreOptions
{
    public Option<string?> Sqlite { get; } = new("--sqlite")
    {
        Description = $"Path of a TaskRunner SQLite file (or set {StoreSession.SqliteVariable}).",
        Recursive = true,
        HelpName = "path",
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = $"PostgreSQL connection string, \"Host=...;Username=...;Password=...;Database=...\" (or set {StoreSession.PostgresVariable}).",
        Recursive = true,
        HelpName = "connection",
    };

    public Option<string?> Schema { get; } = new("--schema")
    {
        Description = $"The PostgreSQL schema of the store (default {TaskRunner.Postgres.PostgresStoreOptions.DefaultSchema}).",
        Recursive = true,
        HelpName = "name",
    };

    public Task<StoreSession> OpenAsync(ParseResult parse, CliEnvironment environment, Action<ITaskRunnerBuilder>? configure, CancellationToken cancellationToken) =>
        StoreSession.OpenAsync(parse.GetValue(Sqlite), parse.GetValue(Postgres), parse.GetValue(Schema), environment, configure, cancellationToken);
}
