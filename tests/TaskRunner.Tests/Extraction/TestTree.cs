namespace TaskRunner.Tests.Extraction;

/// <summary>A temporary directory tree, and a staging directory beside it: files are written there and moved in, so
/// each write is one atomic change (one watcher event) and no half-written file is ever seen.</summary>
internal sealed class TestTree : IDisposable
{
    private readonly DirectoryInfo _base = Directory.CreateTempSubdirectory("tr-extract-");

    public TestTree()
    {
        Root = Path.Combine(_base.FullName, "root");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.Combine(_base.FullName, "staging"));
    }

    public string Root { get; }

    public string Outside => _base.FullName;

    public string Full(string path) => Path.Combine(Root, path);

    public void Write(string path, string text)
    {
        var full = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var staged = Path.Combine(_base.FullName, "staging", Guid.NewGuid().ToString("N"));
        File.WriteAllText(staged, text);
        File.Move(staged, full, overwrite: true);
    }

    public void Delete(string path) => File.Delete(Full(path));

    /// <summary>Every regular file under the root, relative, except the names given.</summary>
    public IEnumerable<string> Files(params string[] except) =>
        Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => !new FileInfo(f).Attributes.HasFlag(FileAttributes.ReparsePoint))
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Where(p => !except.Contains(p));

    public void Dispose()
    {
        try
        {
            _base.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
