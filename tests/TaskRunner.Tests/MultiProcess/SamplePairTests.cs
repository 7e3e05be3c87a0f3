using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace TaskRunner.Tests.MultiProcess;

/// <summary>samples/WebEnqueue (client only, over HTTP) and samples/WorkerService (runs the jobs) as real processes on one
/// SQLite file.</summary>
[Collection(MultiProcessCollection.Name)]
public sealed class SamplePairTests : IDisposable
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "taskrunner-tests", "pair-" + Guid.NewGuid().ToString("N"));

    public SamplePairTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task A_job_enqueued_over_http_in_the_web_process_is_run_by_the_worker_process_and_its_status_is_served()
    {
        var database = Path.Combine(_directory, "pair.db");
        using var web = WorkerProcess.StartSample("WebEnqueue", "--db", database, "--urls", "http://127.0.0.1:0");
        using var worker = WorkerProcess.StartSample("WorkerService", "--db", database);
        var ready = await web.WaitForLineAsync(line => line.StartsWith("ready http", StringComparison.Ordinal), Startup);
        await worker.WaitUntilReadyAsync(Startup);
        using var http = new HttpClient { BaseAddress = new Uri(ready["ready ".Length..]) };

        using var response = await http.PostAsJsonAsync("/thumbnails", new { url = "https://example.org/cat.png", width = 64 });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        Assert.Equal($"/jobs/{id}", response.Headers.Location?.OriginalString);

        // The worker prints a line once the outcome is stored; the web process then reads it from the shared file.
        await worker.WaitForLineAsync(line => line == string.Create(CultureInfo.InvariantCulture, $"succeeded {id} thumbnail"), Startup);
        var status = await http.GetFromJsonAsync<JsonElement>($"/jobs/{id}");
        Assert.Equal("thumbnail", status.GetProperty("name").GetString());
        Assert.Equal("Succeeded", status.GetProperty("state").GetString());
        using var result = JsonDocument.Parse(status.GetProperty("result").GetString()!);
        Assert.Equal(48, result.RootElement.GetProperty("height").GetInt32());

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri($"/jobs/{id + 1000}", UriKind.Relative))).StatusCode);
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
}
