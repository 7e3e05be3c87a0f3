namespace Samples.Shared;

/// <summary>The job contract both samples share: its stable name and payload. The web app declares it (no handler); the
/// worker service registers the handler under the same name. Linked into both projects, as a small contracts assembly
/// would be in a real solution.</summary>
public sealed record Thumbnail(string Url, int Width)
{
    /// <summary>The job's stable name in the store.</summary>
    public const string JobName = "thumbnail";
}
