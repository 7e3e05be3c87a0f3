namespace TaskRunner.Extraction;

/// <summary>
/// The files of one root as the pipeline may see them: relative '/' paths, ignore rules applied, and no way out of the
/// root. A symbolic link to a file is followed only when its final target is inside the root; a linked directory is never
/// descended into (that is how trees loop and escape); a path through a linked directory is refused. Files are only ever
/// opened for reading.
/// </summary>
internal sealed class FileTree
{
    private readonly string _rootWithSeparator;

    public FileTree(string root, IgnoreRules rules)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            full = Path.TrimEndingDirectorySeparator(target.FullName); // the root itself may be a link: judge targets against where it points
        }

        Root = full;
        _rootWithSeparator = full + Path.DirectorySeparatorChar;
        Rules = rules;
    }

    /// <summary>The full path of the root.</summary>
    public string Root { get; }

    public IgnoreRules Rules { get; }

    /// <summary>Called with the relative path of each link refused because it leads out of the root.</summary>
    public Action<string>? Refused { get; set; }

    /// <summary>The relative path of <paramref name="fullPath"/>, or <see langword="null"/> when it is not under the root.</summary>
    public string? Relative(string fullPath)
    {
        if (!fullPath.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
        {
            return null;
        }

        var relative = fullPath[_rootWithSeparator.Length..];
        return Path.DirectorySeparatorChar == '/' ? relative : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>The full path of a relative path, or <see langword="null"/> when the path is not a plain relative path
    /// (rooted, with "." or ".." segments, empty segments or NUL characters).</summary>
    public string? Full(string path)
    {
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(path) || path.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return null;
            }
        }

        return Path.Join(Root, path);
    }

    /// <summary>Describes one file, or <see langword="null"/> when it does not exist, is ignored, is not a regular file
    /// or can only be reached through a link out of the root.</summary>
    public SourceEntry? Stat(string path)
    {
        if (Full(path) is not { } full || Rules.IsIgnored(path, isDirectory: false))
        {
            return null;
        }

        // Every directory on the way must be a real directory of the tree, not a link.
        var at = Root;
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length - 1; i++)
        {
            at = Path.Join(at, segments[i]);
            var directory = new DirectoryInfo(at);
            if (!directory.Exists || directory.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                return null;
            }
        }

        return Describe(new FileInfo(full), path);
    }

    /// <summary>Opens a file for reading, after the checks of <see cref="Stat"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is gone, ignored or outside the root.</exception>
    public FileStream OpenRead(string path)
    {
        if (Stat(path) is null)
        {
            throw new FileNotFoundException($"'{path}' is not a readable file of the tree '{Root}'.", path);
        }

        return new FileStream(Full(path)!, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.SequentialScan,
            BufferSize = 0, // the pipe reader buffers
        });
    }

    /// <summary>Every current file of the tree (or of one directory of it), depth first; ignored directories are not entered.</summary>
    public IEnumerable<SourceEntry> Scan(string directory = "")
    {
        if (directory.Length > 0 && (Full(directory) is null || Rules.IsIgnored(directory, isDirectory: true)))
        {
            yield break;
        }

        var pending = new Stack<string>();
        pending.Push(directory);
        while (pending.Count > 0)
        {
            var relative = pending.Pop();
            var info = new DirectoryInfo(relative.Length == 0 ? Root : Path.Join(Root, relative));
            IEnumerable<FileSystemInfo> children;
            try
            {
                if (relative.Length > 0 && info.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    continue;
                }

                children = info.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // removed while scanning: its delete events (or the next scan) account for it
            }

            foreach (var child in children)
            {
                var path = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
                if (child is DirectoryInfo)
                {
                    if (child.Attributes.HasFlag(FileAttributes.ReparsePoint))
                    {
                        Refused?.Invoke(path);
                    }
                    else if (!Rules.IsIgnored(path, isDirectory: true))
                    {
                        pending.Push(path);
                    }
                }
                else if (!Rules.IsIgnored(path, isDirectory: false) && Describe((FileInfo)child, path) is { } entry)
                {
                    yield return entry;
                }
            }
        }
    }

    private SourceEntry? Describe(FileInfo file, string path)
    {
        try
        {
            if (!file.Exists)
            {
                return null;
            }

            if (file.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                if (file.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo target || !target.Exists
                    || !target.FullName.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
                {
                    Refused?.Invoke(path);
                    return null;
                }

                file = target;
            }

            return new SourceEntry(path, file.Length, file.LastWriteTimeUtc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
