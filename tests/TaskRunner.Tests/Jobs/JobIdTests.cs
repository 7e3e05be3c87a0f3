using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace TaskRunner.Tests.Jobs;

/// <summary><see cref="JobId"/> parses and formats as a number, so ASP.NET Core binds it from routes.</summary>
public sealed class JobIdTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("42", 42L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("007", 7L)] // leading zeros are digits too
    public void Parses_positive_whole_numbers(string text, long value)
    {
        Assert.Equal(new JobId(value), JobId.Parse(text));
        Assert.True(JobId.TryParse(text, out var id));
        Assert.Equal(value, id.Value);
        Assert.Equal(new JobId(value), JobId.Parse(text.AsSpan(), CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")] // stores number jobs from 1
    [InlineData("-5")] // no sign
    [InlineData("+5")]
    [InlineData(" 5")] // no spaces
    [InlineData("5.0")]
    [InlineData("1,000")] // no separators, whatever the culture
    [InlineData("9223372036854775808")] // beyond long
    [InlineData("abc")]
    public void Rejects_anything_else_naming_the_value_and_rule(string text)
    {
        Assert.False(JobId.TryParse(text, out _));
        var ex = Assert.Throws<FormatException>(() => JobId.Parse(text));
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("positive whole number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Formats_invariant_digits_into_strings_and_spans()
    {
        var id = new JobId(1234567);
        var culture = new CultureInfo("de-DE"); // a group separator '.' must not appear
        Assert.Equal("1234567", id.ToString());
        Assert.Equal("1234567", id.ToString("N0", culture));
        Assert.Equal("id 1234567", string.Create(culture, $"id {id}"));

        Span<char> chars = stackalloc char[7];
        Assert.True(id.TryFormat(chars, out var written, default, culture));
        Assert.Equal("1234567", chars[..written].ToString());
        Assert.False(id.TryFormat(chars[..6], out _, default, null)); // too small: refused, not truncated

        Span<byte> utf8 = stackalloc byte[16];
        Assert.True(id.TryFormat(utf8, out var bytes, default, null));
        Assert.Equal("1234567"u8.ToArray(), utf8[..bytes].ToArray());
    }

    [Fact]
    public async Task A_minimal_api_route_binds_a_job_id_and_rejects_a_bad_one()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.MapGet("/jobs/{id}", (JobId id) => Results.Json(new { id, next = new JobId(id.Value + 1) }));
        await app.StartAsync();
        using var client = app.GetTestClient();

        var response = await client.GetAsync(new Uri("/jobs/41", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":41,"next":42}""", await response.Content.ReadAsStringAsync());

        // TryParse refusing the text is a 400 from the framework, not a 500 or a job 0.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/jobs/abc", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(new Uri("/jobs/-1", UriKind.Relative))).StatusCode);
        Assert.Equal(new JobId(9), (await client.GetFromJsonAsync<IdBody>(new Uri("/jobs/9", UriKind.Relative)))!.Id);
    }

    private sealed record IdBody(JobId Id);
}
