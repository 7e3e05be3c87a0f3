using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using TaskRunner.AspNetCore;

namespace TaskRunner.Tests.AspNetCore;

/// <summary><c>MapTaskRunnerWebhooks</c> on a real in-process server over a real SQLite store: publishing, idempotency
/// by the event-id header, signatures, size limits, the local-only default and hostile input.</summary>
public sealed class WebhookTests
{
    private const string Secret = "It's a Secret to Everybody";
    private const string PaidJson = """{"orderId":"o-1","total":12.5}""";

    private static HttpRequestMessage Post(string path, string? body = PaidJson, string? eventId = "evt-1", string? signWith = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        if (eventId is not null)
        {
            request.Headers.Add("X-Event-Id", eventId);
        }

        if (signWith is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", Signature(signWith, body ?? ""));
        }

        return request;
    }

    private static string Signature(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await Json(response);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_accepted_event_enqueues_the_subscribed_jobs_on_the_store()
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("order.paid", body.GetProperty("eventName").GetString());
        Assert.Equal("evt-1", body.GetProperty("eventId").GetString());
        Assert.False(body.GetProperty("duplicate").GetBoolean());
        var jobs = body.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["send-receipt", "notify-warehouse"], jobs.Select(j => j.GetProperty("jobName").GetString()));
        Assert.All(jobs, j => Assert.True(j.GetProperty("created").GetBoolean()));
        var stored = await server.Store.GetAsync(new JobId(jobs[0].GetProperty("id").GetInt64()));
        Assert.Equal(("send-receipt", "event:order.paid:evt-1:send-receipt"), (stored!.Name, stored.IdempotencyKey));
        Assert.Equal(2, (await server.Store.CountAsync(null)).Total);
        Assert.Equal(["Webhook published event 'order.paid' id 'evt-1': 2 of 2 jobs created"], server.WebhookMessages(LogLevel.Information));
    }

    [Fact]
    public async Task A_repeated_event_id_enqueues_nothing_new_and_answers_200_duplicate()
    {
        await using var server = await WebhookServer.StartAsync();
        using var first = await server.Client.SendAsync(Post("/hooks/order.paid"));

        using var again = await server.Client.SendAsync(Post("/hooks/order.paid"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var body = await Json(again);
        Assert.True(body.GetProperty("duplicate").GetBoolean());
        Assert.All(body.GetProperty("jobs").EnumerateArray(), j => Assert.False(j.GetProperty("created").GetBoolean()));
        Assert.Equal(
            (await Json(first)).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()),
            body.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()));
        Assert.Equal(2, (await server.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task A_correctly_signed_event_is_accepted()
    {
        await using var server = await WebhookServer.StartAsync(o => o.SigningSecret = Secret);

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid", signWith: Secret));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task A_signature_in_uppercase_hex_is_accepted()
    {
        await using var server = await WebhookServer.StartAsync(o => o.SigningSecret = Secret);
        using var request = Post("/hooks/order.paid");
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(PaidJson))));

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static TheoryData<string?> BadSignatures => new()
    {
        null, // no header
        "", // empty
        Signature("another secret", PaidJson), // signed with the wrong secret
        Signature(Secret, PaidJson + " "), // signed over another body
        Signature(Secret, PaidJson).Replace("sha256=", "sha1=", StringComparison.Ordinal), // wrong algorithm prefix
        Signature(Secret, PaidJson)[..^2], // truncated
        "sha256=" + new string('z', 64), // not hex
    };

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task A_bad_signature_is_refused_with_401_and_enqueues_nothing(string? signature)
    {
        await using var server = await WebhookServer.StartAsync(o => o.SigningSecret = Secret);
        using var request = Post("/hooks/order.paid");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
        }

        using var response = await server.Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.Unauthorized, "X-Hub-Signature-256");
        Assert.Equal(0, (await server.Store.CountAsync(null)).Total);
        Assert.Equal(["Webhook call for event 'order.paid' from 127.0.0.1 refused (401): bad or missing signature"], server.WebhookMessages(LogLevel.Warning));
    }

    [Fact]
    public async Task An_unsigned_caller_cannot_tell_unknown_events_from_known_ones()
    {
        await using var server = await WebhookServer.StartAsync(o => o.SigningSecret = Secret);

        using var unknownUnsigned = await server.Client.SendAsync(Post("/hooks/order.unknown"));
        using var unknownSigned = await server.Client.SendAsync(Post("/hooks/order.unknown", signWith: Secret));

        Assert.Equal(HttpStatusCode.Unauthorized, unknownUnsigned.StatusCode);
        await AssertProblem(unknownSigned, HttpStatusCode.NotFound, "No subscription listens to event 'order.unknown'");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        await using var server = await WebhookServer.StartAsync(o => o.MaxBodyBytes = 64);
        var big = "{\"orderId\":\"o-1\",\"total\":12.5,\"note\":\"" + new string('x', 100) + "\"}";

        using var declared = await server.Client.SendAsync(Post("/hooks/order.paid", big));

        // Without a Content-Length (chunked), the limit is found while reading.
        using var streamed = Post("/hooks/order.paid", null);
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(big));
        await pipe.Writer.CompleteAsync();
        streamed.Content = new StreamContent(pipe.Reader.AsStream()); // not seekable: sent without a length
        streamed.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Null(streamed.Content.Headers.ContentLength);
        using var chunked = await server.Client.SendAsync(streamed);

        using var fits = await server.Client.SendAsync(Post("/hooks/order.paid", """{"orderId":"o-2","total":1}""", eventId: "evt-2"));

        await AssertProblem(declared, HttpStatusCode.RequestEntityTooLarge, "over 64 bytes");
        await AssertProblem(chunked, HttpStatusCode.RequestEntityTooLarge, "over 64 bytes");
        Assert.Equal(HttpStatusCode.Accepted, fits.StatusCode);
        Assert.Equal(2, (await server.Store.CountAsync(null)).Total);
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.0.10")]
    [InlineData("2001:db8::1")]
    public async Task A_remote_caller_is_refused_with_403_until_the_host_opens_the_webhooks(string address)
    {
        await using var server = await WebhookServer.StartAsync();
        server.RemoteIp = IPAddress.Parse(address);

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid"));

        await AssertProblem(response, HttpStatusCode.Forbidden, "only requests from this machine");
        Assert.Equal(0, (await server.Store.CountAsync(null)).Total);
        Assert.Contains($"Webhook call from {address} refused (403)", Assert.Single(server.WebhookMessages(LogLevel.Warning)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allowing_remote_callers_serves_them_and_still_checks_the_signature()
    {
        await using var server = await WebhookServer.StartAsync(o =>
        {
            o.AllowRemoteCallers = true;
            o.SigningSecret = Secret;
        });
        server.RemoteIp = IPAddress.Parse("203.0.113.7");

        using var unsigned = await server.Client.SendAsync(Post("/hooks/order.paid"));
        using var signed = await server.Client.SendAsync(Post("/hooks/order.paid", signWith: Secret));

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
    }

    [Fact]
    public async Task With_a_policy_a_remote_caller_must_satisfy_it()
    {
        await using var server = await WebhookServer.StartAsync(o => o.AuthorizationPolicy = "webhooks");
        server.RemoteIp = IPAddress.Parse("203.0.113.7");

        using var anonymous = await server.Client.SendAsync(Post("/hooks/order.paid"));
        using var authenticated = Post("/hooks/order.paid");
        authenticated.Headers.Add("X-Api-Key", WebhookServer.ApiKey);
        using var accepted = await server.Client.SendAsync(authenticated);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(2, (await server.Store.CountAsync(null)).Total);
    }

    [Theory]
    [InlineData("/hooks/order%20paid", "Event name 'order paid' is invalid")] // a space
    [InlineData("/hooks/order:paid", "Event name 'order:paid' is invalid")] // the idempotency key's separator
    [InlineData("/hooks/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "is invalid")] // markup (the encoded '/' keeps it one segment)
    [InlineData("/hooks/..%2F..%2Fadmin", "is invalid")] // path traversal
    [InlineData("/hooks/%E2%80%AEdiap.redro", "is invalid")] // a right-to-left override character
    [InlineData("/hooks/order.paid%0D%0AX-Injected:%201", "Event name 'order.paid\\u000d\\u000aX-Injected: 1' is invalid")] // CR LF, escaped in the answer
    public async Task Hostile_event_names_are_refused_with_400_naming_the_rule(string path, string detail)
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post(path));

        await AssertProblem(response, HttpStatusCode.BadRequest, detail);
        Assert.Equal(0, (await server.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task An_event_nobody_subscribes_to_is_404()
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post("/hooks/order.shipped"));

        await AssertProblem(response, HttpStatusCode.NotFound, "No subscription listens to event 'order.shipped'");
    }

    [Theory]
    [InlineData(null, "The X-Event-Id header is missing")]
    [InlineData("has space", "Event id 'has space' is invalid")]
    [InlineData("", "The X-Event-Id header is missing")] // an empty header arrives as no header
    [InlineData("a12345678901234567890123456789012345678901234567890123456789012345", "is invalid: it must be 1–64")] // 65 characters
    public async Task A_missing_or_bad_event_id_is_refused_with_400(string? eventId, string detail)
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid", eventId: eventId));

        await AssertProblem(response, HttpStatusCode.BadRequest, detail);
        Assert.Equal(0, (await server.Store.CountAsync(null)).Total);
    }

    [Theory]
    [InlineData("{\"orderId\":", "Invalid JSON")] // malformed
    [InlineData("""{"total":3}""", "Invalid JSON")] // the required orderId is missing
    [InlineData("[1,2]", "Invalid JSON")] // not the event's shape
    public async Task A_body_that_is_not_the_event_is_refused_with_400(string body, string title)
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid", body));

        await AssertProblem(response, HttpStatusCode.BadRequest, "cannot be read as event 'order.paid'");
        Assert.Equal(title, (await Json(response)).GetProperty("title").GetString());
        Assert.Equal(0, (await server.Store.CountAsync(null)).Total);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_webhook_its_headers_body_and_answers()
    {
        await using var server = await WebhookServer.StartAsync(o => o.SigningSecret = Secret);

        using var response = await server.Client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await Json(response);
        var operation = doc.GetProperty("paths").GetProperty("/hooks/{eventName}").GetProperty("post");
        Assert.Equal("TaskRunnerPublishEvent", operation.GetProperty("operationId").GetString());
        Assert.Equal(["TaskRunner"], operation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("Publishes the JSON body as the event", operation.GetProperty("summary").GetString(), StringComparison.Ordinal);
        var description = operation.GetProperty("description").GetString();
        Assert.Contains("X-Event-Id", description, StringComparison.Ordinal);
        Assert.Contains("X-Hub-Signature-256", description, StringComparison.Ordinal);
        Assert.Equal("path", operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "eventName").GetProperty("in").GetString());

        var body = operation.GetProperty("requestBody");
        Assert.True(body.GetProperty("required").GetBoolean());
        Assert.True(body.GetProperty("content").TryGetProperty("application/json", out _));

        var responses = operation.GetProperty("responses");
        Assert.Equal(["200", "202", "400", "401", "403", "404", "413", "415"], responses.EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.True(responses.GetProperty("202").GetProperty("content").TryGetProperty("application/json", out var accepted));
        Assert.True(accepted.GetProperty("schema").TryGetProperty("$ref", out _) || accepted.GetProperty("schema").TryGetProperty("properties", out _));
        Assert.True(responses.GetProperty("401").GetProperty("content").TryGetProperty("application/problem+json", out _));

        // Describing the body adds no routing rule: a body that is not JSON still reaches the endpoint's own checks.
        using var form = await server.Client.SendAsync(Post("/hooks/order.paid", "orderId=o-1", contentType: "text/plain"));
        await AssertProblem(form, HttpStatusCode.UnsupportedMediaType, "must be JSON");
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid", "orderId=o-1", contentType: "application/x-www-form-urlencoded"));

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "must be JSON");
    }

    [Fact]
    public async Task An_event_its_filter_refuses_is_accepted_with_no_jobs()
    {
        await using var server = await WebhookServer.StartAsync();

        using var response = await server.Client.SendAsync(Post("/hooks/order.paid", """{"orderId":"o-1","total":0}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty((await Json(response)).GetProperty("jobs").EnumerateArray());
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)] // IPv4-mapped loopback, as a dual-stack socket reports it
    [InlineData("10.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData(null, false)] // unknown caller: not local
    public void Loopback_means_this_machine_only(string? address, bool local) =>
        Assert.Equal(local, WebhookEndpoint.IsLoopback(address is null ? null : IPAddress.Parse(address)));

    [Theory]
    [InlineData("hooks", "Webhook prefix 'hooks' is invalid")]
    [InlineData("/hooks/{id}", "Webhook prefix '/hooks/{id}' is invalid")]
    public void A_bad_prefix_is_refused_where_it_is_mapped(string prefix, string message)
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<ArgumentException>(() => app.MapTaskRunnerWebhooks(prefix));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(TaskRunnerWebhookOptions.MaxBodyBytesLimit + 1)]
    public void A_body_limit_out_of_range_is_refused_naming_the_option(long max)
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => app.MapTaskRunnerWebhooks("/hooks", o => o.MaxBodyBytes = max));

        Assert.Contains($"MaxBodyBytes is {max}; it must be between 1 and 67108864", error.Message, StringComparison.Ordinal);
    }
}
