using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TaskRunner.Tests.MultiProcess;

namespace TaskRunner.Tests.Samples;

/// <summary>samples/WebDashboard as a real OS process on a free port with its own SQLite file: its seeded work, the JSON
/// API (enqueue, read the result) and a signed webhook starting its subscribed jobs, over real HTTP. The sample prints a
/// line when a job finishes (<c>succeeded 17 resize-image</c>), which the test awaits instead of sleeping.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class WebDashboardSampleTests : IDisposable
{
    private const string Secret = "test-secret-for-the-sample";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", "webdashboard-" + Guid.NewGuid().ToString("N"));

    public WebDashboardSampleTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task The_sample_serves_its_api_runs_an_enqueued_job_and_a_signed_webhooks_jobs_and_has_a_dead_letter()
    {
        using var sample = WorkerProcess.StartSample("WebDashboard",
            "--db", Path.Combine(_directory, "dashboard.db"), "--urls", "http://127.0.0.1:0", "--Webhooks:Secret", Secret);
        var ready = await sample.WaitForLineAsync(line => line.StartsWith("ready http", StringComparison.Ordinal), Startup);
        using var http = new HttpClient { BaseAddress = new Uri(ready["ready ".Length..]) };

        // The API is up, with the seeded work in it.
        var counts = await http.GetFromJsonAsync<JsonElement>("/taskrunner/api/counts");
        Assert.True(counts.GetProperty("all").GetProperty("total").GetInt64() >= 10, counts.ToString());
        var webhookLine = await sample.WaitForLineAsync(line => line.StartsWith("Webhook: curl ", StringComparison.Ordinal), Startup);
        Assert.Contains("X-Hub-Signature-256: sha256=", webhookLine, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, webhookLine, StringComparison.Ordinal);

        // Seed 004's flow: enqueue over HTTP, then read the result once the worker in the process has stored it.
        using var enqueue = new HttpRequestMessage(HttpMethod.Post, "/taskrunner/api/jobs")
        {
            Content = JsonContent.Create(new { name = "resize-image", payload = new { file = "cat.png", width = 640 } }),
        };
        enqueue.Headers.Add("X-TaskRunner-Action", "1");
        using var enqueued = await http.SendAsync(enqueue);
        Assert.Equal(HttpStatusCode.Created, enqueued.StatusCode);
        var id = (await enqueued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await sample.WaitForLineAsync(line => line == Invariant($"succeeded {id} resize-image"), JobTimeout);
        var job = await http.GetFromJsonAsync<JsonElement>($"/taskrunner/api/jobs/{id}");
        Assert.Equal("Succeeded", job.GetProperty("state").GetString());
        Assert.Equal(480, job.GetProperty("result").GetProperty("height").GetInt32());

        // A signed webhook publishes order.paid: its receipt job runs; the same event id again enqueues nothing new.
        const string Body = """{"orderId":"o-77","total":12.5}""";
        using var published = await http.SendAsync(Webhook(Body, "evt-test-1", Sign(Secret, Body)));
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var receipt = (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("jobName").GetString() == "send-receipt").GetProperty("id").GetInt64();
        await sample.WaitForLineAsync(line => line == Invariant($"succeeded {receipt} send-receipt"), JobTimeout);
        var receiptJob = await http.GetFromJsonAsync<JsonElement>($"/taskrunner/api/jobs/{receipt}");
        Assert.Equal(("Succeeded", "o-77"), (receiptJob.GetProperty("state").GetString(), receiptJob.GetProperty("result").GetProperty("orderId").GetString()));

        using var again = await http.SendAsync(Webhook(Body, "evt-test-1", Sign(Secret, Body)));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var forged = await http.SendAsync(Webhook(Body, "evt-test-2", Sign("not-the-secret", Body)));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);

        // The seeded job that always fails is dead-lettered after its two attempts, so the dead letters page has content.
        var deadLine = await sample.WaitForLineAsync(line => line.StartsWith("deadlettered ", StringComparison.Ordinal) && line.EndsWith(" sync-inventory", StringComparison.Ordinal), JobTimeout);
        var dead = await http.GetFromJsonAsync<JsonElement>("/taskrunner/api/jobs?state=DeadLettered");
        Assert.Contains(dead.GetProperty("jobs").EnumerateArray(), j => Invariant($"deadlettered {j.GetProperty("id").GetInt64()} sync-inventory") == deadLine);

        await sample.KillAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A process still holding the file only leaves a temp directory behind.
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private static HttpRequestMessage Webhook(string body, string eventId, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/order.paid") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Event-Id", eventId);
        request.Headers.Add("X-Hub-Signature-256", signature);
        return request;
    }
}
