using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TaskRunner.Extraction;

namespace FileIndexer;

/// <summary>Reads a text file (never runs it) and returns its outline as JSON: lines, and by kind the title and headings
/// (Markdown) or the declared types, functions and leading comment (source files). Files over 4 MB, or with NUL bytes
/// (binary), get their line count only.</summary>
internal sealed partial class SourceFileExtractor : IExtractor
{
    private const int MaxOutlineBytes = 4 * 1024 * 1024;

    private static readonly HashSet<string> SourceExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".fs", ".java", ".kt", ".go", ".rs", ".py", ".js", ".ts", ".tsx", ".jsx", ".c", ".h", ".cpp", ".hpp", ".swift", ".rb", ".php", ".sh",
    };

    public async ValueTask<ReadOnlyMemory<byte>> ExtractAsync(ExtractionContext context, PipeReader content, CancellationToken cancellationToken)
    {
        var lines = 0;
        var binary = false;
        var text = new MemoryStream();
        while (true)
        {
            var result = await content.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                var span = segment.Span;
                lines += span.Count((byte)'\n');
                binary |= span.Contains((byte)0);
                if (text.Length < MaxOutlineBytes)
                {
                    text.Write(span);
                }
            }

            content.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        var outline = new Dictionary<string, object?> { ["lines"] = lines, ["size"] = context.Entry.Size };
        if (!binary && text.Length < MaxOutlineBytes)
        {
            var source = Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
            var extension = Path.GetExtension(context.Entry.Path);
            if (extension.Equals(".md", StringComparison.OrdinalIgnoreCase) || extension.Equals(".markdown", StringComparison.OrdinalIgnoreCase))
            {
                var headings = Heading().Matches(source).Select(m => m.Groups[2].Value.Trim()).ToList();
                outline["title"] = Heading().Matches(source).FirstOrDefault(m => m.Groups[1].Length == 1)?.Groups[2].Value.Trim();
                outline["headings"] = headings;
            }
            else if (SourceExtensions.Contains(extension))
            {
                outline["types"] = TypeDeclaration().Matches(source).Select(m => m.Groups[1].Value).Distinct().ToList();
                outline["functions"] = FunctionDeclaration().Matches(source).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Distinct().ToList();
                outline["comment"] = LeadingComment(source);
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(outline);
    }

    private static string? LeadingComment(string source)
    {
        var comment = new List<string>();
        foreach (var raw in source.AsSpan().TrimStart().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.StartsWith("//") || line.StartsWith("#") && !line.StartsWith("#!") && !line.StartsWith("#include") || line.StartsWith("/*") || line.StartsWith("*") || line.StartsWith("\"\"\""))
            {
                var words = line.TrimStart("/*#\"").Trim().ToString();
                if (words.Length > 0)
                {
                    comment.Add(words);
                }
            }
            else if (line.Length > 0 || comment.Count > 0)
            {
                break;
            }
        }

        var joined = string.Join(' ', comment);
        return joined.Length == 0 ? null : joined.Length <= 120 ? joined : joined[..117] + "...";
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    // A declaration starts its line (after modifiers), so the words "class" or "type" in prose and comments do not count.
    [GeneratedRegex(@"^\s*(?:(?:public|private|protected|internal|static|abstract|sealed|partial|readonly|export|pub|file|data|final)\s+)*(?:record\s+(?:struct|class)|class|struct|interface|record|enum|trait|type)\s+([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    // C-family methods ("Type Name(" at a line start with modifiers), def/func/fn/function declarations.
    [GeneratedRegex(@"^\s*(?:(?:def|func|fn|function)\s+([A-Za-z_][A-Za-z0-9_]*)|(?:(?:public|private|protected|internal|static|async|override|virtual|sealed|extern|inline)\s+)+[\w<>\[\],.? ]+?\s+([A-Za-z_][A-Za-z0-9_]*)\s*\()", RegexOptions.Multiline)]
    private static partial Regex FunctionDeclaration();
}
