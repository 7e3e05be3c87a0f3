using TaskRunner.Extraction;

namespace TaskRunner.Tests.Extraction;

public sealed class IgnoreRulesTests : IDisposable
{
    private readonly TestTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData("a.log", true)]                 // *.log matches at any depth
    [InlineData("x/y/a.log", true)]
    [InlineData("keep.log", false)]             // negated by the root file
    [InlineData("sub/keep.log", false)]         // the negation has no slash: any depth
    [InlineData("sub/other.log", false)]        // negated by the nested file, which wins over the root's
    [InlineData("sub/deeper/other.log", false)]
    [InlineData("build/x.txt", true)]           // a directory pattern ignores everything under it
    [InlineData("build/keep.log", true)]        // git cannot re-include a file under an ignored directory
    [InlineData("src/build", false)]            // "build/" only matches directories; this is a file
    [InlineData("abs.txt", true)]              // anchored "/abs.txt": at the root only
    [InlineData("sub/abs.txt", false)]
    [InlineData("sub/local.txt", true)]         // anchored in the nested file: relative to sub/
    [InlineData("local.txt", false)]
    [InlineData("draft.tmp", true)]             // a configured glob
    [InlineData("sub/x.tmp", false)]            // re-included by the nested file, as git lets a repo override global excludes
    [InlineData(".git/config", true)]           // always
    [InlineData("readme.md", false)]
    public void Paths_follow_gitignore_precedence(string path, bool ignored)
    {
        _tree.Write(".gitignore", "# comment\n*.log\n!keep.log\nbuild/\n/abs.txt\n\n");
        _tree.Write("sub/.gitignore", "!other.log\n/local.txt\n!*.tmp\n");
        var rules = new IgnoreRules(_tree.Root, ["*.tmp"], useGitIgnoreFiles: true);

        Assert.Equal(ignored, rules.IsIgnored(path, isDirectory: false));
    }

    [Fact]
    public void Gitignore_files_are_skipped_when_disabled_and_reread_after_reload()
    {
        _tree.Write(".gitignore", "*.log\n");
        Assert.False(new IgnoreRules(_tree.Root, [], useGitIgnoreFiles: false).IsIgnored("a.log", false));

        var rules = new IgnoreRules(_tree.Root, [], useGitIgnoreFiles: true);
        Assert.True(rules.IsIgnored("a.log", false));
        _tree.Write(".gitignore", "*.txt\n");
        rules.Reload();
        Assert.False(rules.IsIgnored("a.log", false));
        Assert.True(rules.IsIgnored("a.txt", false));
    }
}
