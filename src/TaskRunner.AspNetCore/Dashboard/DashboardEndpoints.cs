using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace TaskRunner.AspNetCore;

/// <summary>Serves the dashboard's page and assets with strict headers: a Content-Security-Policy that allows only this
/// origin's scripts, styles and API (no inline script or style, no framing), nosniff, no referrer; and ETags so a
/// browser revalidates (304) rather than downloading again.</summary>
internal static class DashboardEndpoints
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The page, at <c>{prefix}/</c>: routing matches <c>{prefix}</c> too, which is redirected to the slash so the
    /// page's relative asset and API paths resolve under the prefix.</summary>
    public static IResult Page(HttpContext context)
    {
        var request = context.Request;
        return request.Path.Value?.EndsWith('/') == true
            ? Serve(context, DashboardAssets.IndexFile)
            : TypedResults.Redirect($"{request.PathBase}{request.Path}/{request.QueryString}");
    }

    public static IResult Asset(HttpContext context, string file) => Serve(context, file);

    private static IResult Serve(HttpContext context, string name)
    {
        if (DashboardAssets.Instance.Find(name) is not { } asset)
        {
            return ApiEndpoints.Problem(StatusCodes.Status404NotFound, "Not found", $"The dashboard has no file named '{name}'.");
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        // Files keep their names across versions, so the browser revalidates each time and gets a 304 while unchanged.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (IsNotModified(context.Request, asset.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static bool IsNotModified(HttpRequest request, string etag)
    {
        var match = request.GetTypedHeaders().IfNoneMatch;
        if (match is not { Count: > 0 })
        {
            return false;
        }

        var tag = EntityTagHeaderValue.Parse(etag);
        return match.Any(m => m.Equals(EntityTagHeaderValue.Any) || m.Compare(tag, useStrongComparison: false));
    }
}
