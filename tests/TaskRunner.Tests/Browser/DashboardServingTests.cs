using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using TaskRunner.AspNetCore;
using TaskRunner.Tests.AspNetCore;

namespace TaskRunner.Tests.Browser;

/// <summary>How <c>MapTaskRunnerDashboard</c> serves its page, assets and info over HTTP (Kestrel on 127.0.0.1), without a
/// browser: strict headers, ETags, only the embedded files, and its options checked at mapping.</summary>
public sealed class DashboardServingTests
{
    private static HttpClient Client(DashboardServer server) => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.LocalUrl };

    [Fact]
    public async Task Page_is_served_with_a_strict_content_security_policy_and_no_sniffing()
    {
        await using var server = await DashboardServer.StartAsync();
        using var client = Client(server);

        using var response = await client.GetAsync("");

        Assert.True(response.StatusCode == HttpStatusCode.OK, string.Join("\n", server.Logs.Entries.Select(e => e.Message + e.Exception)));
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("style-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"assets/app.js\"></script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_files_hold_no_inline_script_or_style_and_no_html_sink()
    {
        // The CSP would block them; this keeps the page working under it, and keeps data out of HTML parsing.
        foreach (var name in DashboardAssets.Instance.Names)
        {
            var text = System.Text.Encoding.UTF8.GetString(DashboardAssets.Instance.Find(name)!.Content);
            if (name.EndsWith(".html", StringComparison.Ordinal))
            {
                Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)", text);
                Assert.DoesNotContain("<style", text, StringComparison.Ordinal);
                Assert.DoesNotContain(" style=", text, StringComparison.Ordinal);
                Assert.DoesNotMatch("\\son[a-z]+=", text);
            }

            if (name.EndsWith(".js", StringComparison.Ordinal))
            {
                Assert.DoesNotMatch("\\.(innerHTML|outerHTML)\\s*=|insertAdjacentHTML\\(|document\\.write|\\beval\\(|new Function\\(", text);
                Assert.DoesNotMatch("https?://(?!www\\.w3\\.org/2000/svg)", text);
            }
        }

        Assert.Contains("app.js", DashboardAssets.Instance.Names);
        Assert.Contains("app.css", DashboardAssets.Instance.Names);
    }

    [Fact]
    public async Task Assets_have_etags_and_answer_304_while_unchanged()
    {
        await using var server = await DashboardServer.StartAsync();
        using var client = Client(server);

        using var first = await client.GetAsync("assets/app.js");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("text/javascript", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", first.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-cache", first.Headers.CacheControl?.ToString());
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "assets/app.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var second = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());

        using var stale = new HttpRequestMessage(HttpMethod.Get, "assets/app.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"older\""));
        using var third = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await third.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("assets/nothing.js")]
    [InlineData("assets/..%2FTaskRunner.AspNetCore.dll")]
    [InlineData("assets/index")]
    public async Task Only_the_embedded_files_are_served(string path)
    {
        await using var server = await DashboardServer.StartAsync();
        using var client = Client(server);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Prefix_without_slash_redirects_to_the_page_and_info_tells_the_mode()
    {
        await using var server = await DashboardServer.StartAsync(o =>
        {
            o.Api.ReadOnly = true;
            o.PollInterval = TimeSpan.FromSeconds(5);
        });
        using var client = Client(server);

        using var redirect = await client.GetAsync(new Uri(server.LocalUrl, DashboardServer.Prefix));
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal(DashboardServer.Prefix + "/", redirect.Headers.Location?.OriginalString);

        using var info = await client.GetAsync("api/info");
        var body = await ApiCalls.BodyAsync(info);
        Assert.True(body.GetProperty("readOnly").GetBoolean());
        Assert.Equal(5000, body.GetProperty("pollIntervalMs").GetInt32());
    }

    [Fact]
    public async Task With_a_policy_the_page_assets_and_api_need_it()
    {
        await using var server = await DashboardServer.StartAsync(o => o.Api.AuthorizationPolicy = "operators");
        using var client = Client(server);

        foreach (var path in new[] { "", "assets/app.js", "api/info", "api/counts" })
        {
            using var anonymous = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-Api-Key", ApiServer.ApiKey);
            using var allowed = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
    }

    [Theory]
    [InlineData(100)]
    [InlineData(60_001)]
    public void Poll_interval_out_of_range_is_refused_naming_it(int milliseconds)
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => app.MapTaskRunnerDashboard("/taskrunner", o => o.PollInterval = TimeSpan.FromMilliseconds(milliseconds)));

        Assert.Contains("TaskRunnerDashboardOptions.PollInterval is " + TimeSpan.FromMilliseconds(milliseconds), ex.Message, StringComparison.Ordinal);
        Assert.Contains("between 00:00:00.2500000 and 00:01:00", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("taskrunner")]
    [InlineData("/taskrunner/{x}")]
    public void Bad_prefix_is_refused_naming_it(string prefix)
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var ex = Assert.Throws<ArgumentException>(() => app.MapTaskRunnerDashboard(prefix));

        Assert.Contains($"Dashboard prefix '{prefix}' is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Api_options_are_validated_through_the_dashboard()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => app.MapTaskRunnerDashboard("/taskrunner", o => o.Api.UpcomingOccurrences = 101));

        Assert.Contains("UpcomingOccurrences is 101", ex.Message, StringComparison.Ordinal);
    }
}
