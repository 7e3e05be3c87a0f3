using System.Collections.Frozen;
using System.Security.Cryptography;

namespace TaskRunner.AspNetCore;

/// <summary>The dashboard's files, embedded in this assembly (<c>Dashboard/wwwroot</c>, logical names
/// <see cref="ResourcePrefix"/> + file name): read once, each with its content type and a strong ETag (a hash of its
/// bytes). Only these names are served, so no request path reaches the file system.</summary>
internal sealed class DashboardAssets
{
    public const string ResourcePrefix = "TaskRunnerDashboard/";

    public const string IndexFile = "index.html";

    private static readonly Lazy<DashboardAssets> Shared = new(Load);

    private readonly FrozenDictionary<string, DashboardAsset> _files;

    private DashboardAssets(FrozenDictionary<string, DashboardAsset> files) => _files = files;

    public static DashboardAssets Instance => Shared.Value;

    public IEnumerable<string> Names => _files.Keys;

    public DashboardAsset? Find(string name) => _files.GetValueOrDefault(name);

    private static DashboardAssets Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16)) + "\"";
            files[name] = new DashboardAsset(bytes, ContentType(name), etag);
        }

        if (!files.ContainsKey(IndexFile))
        {
            throw new InvalidOperationException($"The dashboard's '{IndexFile}' is not embedded in {assembly.GetName().Name}: the package is damaged.");
        }

        return new DashboardAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}

/// <summary>One embedded file of the dashboard.</summary>
/// <param name="Content">Its bytes.</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="ETag">A strong entity tag of its bytes, quoted.</param>
internal sealed record DashboardAsset(byte[] Content, string ContentType, string ETag);
