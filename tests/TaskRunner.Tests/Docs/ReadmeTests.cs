using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TaskRunner.Tests.Docs;

/// <summary>
/// The READMEs' code compiles as written: every <c>```csharp</c> block of the repository's README.md and of the packaged
/// README (docs/nuget/README.md) is compiled on its own, as a whole program, with Roslyn against the assemblies this test
/// runs with (the built TaskRunner packages and the shared framework), with the implicit usings of a new console project
/// (<c>dotnet new console</c>: Microsoft.NET.Sdk's ImplicitUsings) and nothing else; warnings are errors. Every
/// <c>dotnet add package</c> line names a package that ships. The blocks are read from the files at test time, so the
/// test follows whatever the README says; <c>```cs</c> marks a fragment that is not compiled.
/// </summary>
public sealed partial class ReadmeTests
{
    public static TheoryData<string> Readmes => new() { "README.md", "docs/nuget/README.md" };

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Every_csharp_block_compiles_as_written(string readme)
    {
        var blocks = CodeBlocks(File.ReadAllText(Path.Combine(RepositoryRoot(), readme)), "csharp");
        Assert.NotEmpty(blocks); // the first screen's program at least

        var failures = new List<string>();
        foreach (var (line, code) in blocks)
        {
            var diagnostics = Compile(code)
                .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && !d.IsSuppressed))
                .Select(d => $"  {d.Id} at block line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
                .ToList();
            if (diagnostics.Count > 0)
            {
                failures.Add($"{readme}: the ```csharp block at line {line} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Every_dotnet_add_package_line_names_a_package_that_ships_or_a_framework_one(string readme)
    {
        var root = RepositoryRoot();
        var shipped = Directory.GetDirectories(Path.Combine(root, "src"))
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
            .Select(Path.GetFileName)
            .ToHashSet(StringComparer.Ordinal);
        var named = AddPackage().Matches(File.ReadAllText(Path.Combine(root, readme))).Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(named);
        Assert.All(named, package => Assert.True(
            shipped.Contains(package) || package.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal),
            $"{readme} tells users to add '{package}', which is neither a src/ package of this repository nor a Microsoft.Extensions one."));
        Assert.Contains("TaskRunner.Core", named);
    }

    [Fact]
    public void A_block_that_does_not_compile_is_reported_with_its_error()
    {
        // The harness itself: an undefined type must fail, or the tests above would prove nothing.
        var errors = Compile("using TaskRunner;\nvar x = new UndefinedThing();\n").Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Contains(errors, d => d.Id == "CS0246");
        Assert.DoesNotContain(Compile("using TaskRunner;\nSystem.Console.WriteLine(new JobId(1));\n"), d => d.Severity == DiagnosticSeverity.Error);
    }

    private static IReadOnlyList<(int Line, string Code)> CodeBlocks(string markdown, string language)
    {
        var blocks = new List<(int, string)>();
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```" + language)
            {
                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            blocks.Add((start, string.Join('\n', lines[start..end])));
            i = end;
        }

        return blocks;
    }

    private static IEnumerable<Diagnostic> Compile(string code)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Readme",
            [CSharpSyntaxTree.ParseText(code, options), CSharpSyntaxTree.ParseText(ConsoleImplicitUsings, options)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics();
    }

    /// <summary>What <c>dotnet new console</c> gives a program without writing it (Microsoft.NET.Sdk, ImplicitUsings enable).</summary>
    private const string ConsoleImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>The shared frameworks this test runs on plus the built TaskRunner assemblies beside it.</summary>
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var taskRunner = Directory.GetFiles(AppContext.BaseDirectory, "TaskRunner.*.dll")
            .Where(f => !Path.GetFileName(f).StartsWith("TaskRunner.Tests", StringComparison.Ordinal));
        return [.. platform.Concat(taskRunner).Distinct(StringComparer.Ordinal).Select(f => MetadataReference.CreateFromFile(f))];
    });

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sdk.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No Sdk.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"dotnet add package ([A-Za-z0-9_.]+)")]
    private static partial Regex AddPackage();
}
