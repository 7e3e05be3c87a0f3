using System.Reflection;

namespace TaskRunner.Tests;

/// <summary>The library's conventions, checked by reflection and by reading the sources.</summary>
public sealed partial class ApiConventionTests
{
    private static readonly Assembly[] Libraries =
    [
        typeof(IJobStore).Assembly,
        typeof(TaskRunnerOptions).Assembly,
        typeof(global::TaskRunner.Sqlite.SqliteStoreOptions).Assembly,
        typeof(global::TaskRunner.Postgres.PostgresStoreOptions).Assembly,
        typeof(global::TaskRunner.AspNetCore.TaskRunnerWebhookOptions).Assembly,
        typeof(global::TaskRunner.Mongo.MongoStoreOptions).Assembly,
    ];

    public static TheoryData<string> LibraryNames => new(Libraries.Select(a => a.GetName().Name!));

    [Theory]
    [MemberData(nameof(LibraryNames))]
    public void Public_concrete_classes_are_sealed(string assembly)
    {
        var unsealed = Types(assembly).Where(t => t is { IsClass: true, IsAbstract: false, IsSealed: false } && t.IsVisible && !typeof(Delegate).IsAssignableFrom(t));
        Assert.Empty(unsealed.Select(t => t.FullName).Except([typeof(JobStoreException).FullName])); // an exception base type callers may derive from
    }

    [Theory]
    [MemberData(nameof(LibraryNames))]
    public void Public_types_live_in_the_namespaces_of_their_assembly(string assembly)
    {
        // TaskRunner.Abstractions and TaskRunner.Core share the TaskRunner root (as Microsoft.Extensions.* do);
        // backends have their own; the DI entry point sits where AddXxx methods are looked for, and endpoint mappings
        // (MapXxx) where ASP.NET Core's own are.
        var root = assembly is "TaskRunner.Sqlite" or "TaskRunner.Postgres" or "TaskRunner.AspNetCore" ? assembly : "TaskRunner";
        var stray = Types(assembly)
            .Where(t => t.IsVisible && t.Namespace is not ("Microsoft.Extensions.DependencyInjection" or "Microsoft.AspNetCore.Builder"))
            .Where(t => t.Namespace is null || !(t.Namespace == root || t.Namespace.StartsWith(root + ".", StringComparison.Ordinal)))
            .Select(t => t.FullName);
        Assert.Empty(stray);
    }

    /// <summary>ConfigureAwait(false) in library code is checked by the compiler: CA2007 is an error in src/.editorconfig.</summary>
    [Fact]
    public void Library_code_never_writes_to_the_console()
    {
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            // The taskrunner tool is an application whose job is the terminal, and Spectre.Console's own namespace contains
            // "Console.": its entry point alone may touch System.Console; every command takes the terminal in
            // (CliEnvironment), so a bare Console.X anywhere else in it is still an offence.
            if (file.Contains($"{Path.DirectorySeparatorChar}TaskRunner.Cli{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                if (Path.GetFileName(file) != "Program.cs" && BareConsole().IsMatch(File.ReadAllText(file)))
                {
                    offenders.Add($"{Path.GetFileName(file)}: writes to the console (only the tool's Program.cs may)");
                }

                continue;
            }

            if (File.ReadAllText(file).Contains("Console.", StringComparison.Ordinal))
            {
                offenders.Add($"{Path.GetFileName(file)}: writes to the console");
            }
        }

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    /// <summary>System.Console used by its short name: "Console." not after a letter, digit or dot.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.])Console\.")]
    private static partial System.Text.RegularExpressions.Regex BareConsole();

    private static IEnumerable<Type> Types(string assembly) => Libraries.Single(a => a.GetName().Name == assembly).GetTypes();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Sdk.sln not found above the test output.");
    }
}
