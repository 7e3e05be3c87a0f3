using System.Collections.Concurrent;
using MAB.DotIgnore;

namespace TaskRunner.Extraction;

/// <summary>
/// Which paths of a tree are left out, with git's semantics: the configured patterns first (like git's global
/// excludes), then the root's <c>.gitignore</c>, then each nested directory's, each relative to its directory; the last
/// matching rule wins, so a deeper file or a later <c>!pattern</c> overrides; a path under an ignored directory is
/// ignored whatever its own rules say (git cannot re-include it either). Patterns are parsed and matched by MAB.DotIgnore
/// (a maintained port of git's wildmatch with its test suite); the precedence across nested files is applied here,
/// because its <c>IgnoreList</c> cannot tell "no rule matched" from "a negation matched".
/// </summary>
internal sealed class IgnoreRules
{
    /// <summary>The name of the per-directory rule files.</summary>
    public const string FileName = ".gitignore";

    private static readonly IReadOnlyList<IgnoreRule> None = [];

    private readonly string _root;
    private readonly bool _useFiles;
    private readonly IReadOnlyList<IgnoreRule> _configured;
    private readonly ConcurrentDictionary<string, IReadOnlyList<IgnoreRule>> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _directories = new(StringComparer.Ordinal);

    public IgnoreRules(string root, IEnumerable<string> patterns, bool useGitIgnoreFiles)
    {
        _root = root;
        _useFiles = useGitIgnoreFiles;
        _configured = Parse([".git/", .. patterns]);
    }

    /// <summary>Whether <paramref name="path"/> (relative, '/' separators) is left out, itself or through an ancestor.</summary>
    public bool IsIgnored(string path, bool isDirectory)
    {
        var slash = path.LastIndexOf('/');
        if (slash > 0 && IsDirectoryIgnored(path[..slash]))
        {
            return true;
        }

        return Matches(path, isDirectory);
    }

    /// <summary>Forgets the parsed rule files: call it when a <c>.gitignore</c> changed.</summary>
    public void Reload()
    {
        _files.Clear();
        _directories.Clear();
    }

    private bool IsDirectoryIgnored(string directory) =>
        _directories.TryGetValue(directory, out var ignored) ? ignored : _directories.GetOrAdd(directory, d =>
        {
            var slash = d.LastIndexOf('/');
            return (slash > 0 && IsDirectoryIgnored(d[..slash])) || Matches(d, isDirectory: true);
        });

    private bool Matches(string path, bool isDirectory)
    {
        var ignored = Apply(_configured, path, isDirectory, false);
        if (!_useFiles)
        {
            return ignored;
        }

        // Root first, then each ancestor directory of the path, each file's patterns relative to its own directory.
        var start = 0;
        while (true)
        {
            var directory = start == 0 ? "" : path[..(start - 1)];
            ignored = Apply(RulesOf(directory), path[start..], isDirectory, ignored);
            var next = path.IndexOf('/', start);
            if (next < 0)
            {
                return ignored;
            }

            start = next + 1;
        }
    }

    private static bool Apply(IReadOnlyList<IgnoreRule> rules, string path, bool isDirectory, bool ignored)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule.IsMatch(path, isDirectory))
            {
                ignored = !rule.PatternFlags.HasFlag(PatternFlags.NEGATION);
            }
        }

        return ignored;
    }

    private IReadOnlyList<IgnoreRule> RulesOf(string directory) => _files.GetOrAdd(directory, d =>
    {
        var file = Path.Combine(_root, d, FileName);
        try
        {
            return File.Exists(file) ? Parse(File.ReadLines(file)) : None;
        }
        catch (IOException)
        {
            return None; // vanished or unreadable while being read: a rescan after its change event reads it again
        }
        catch (UnauthorizedAccessException)
        {
            return None;
        }
    });

    private static IgnoreRule[] Parse(IEnumerable<string> lines)
    {
        var rules = new List<IgnoreRule>();
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            rules.Add(new IgnoreRule(line, MatchFlags.PATHNAME));
        }

        return [.. rules];
    }
}
