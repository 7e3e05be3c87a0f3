using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TaskRunner.AspNetCore;
using TaskRunner.Sqlite;
using TaskRunner.Tests.Sqlite;
using TaskRunner.Tests.Support;

namespace TaskRunner.Tests.AspNetCore;

/// <summary>A real ASP.NET Core app (<see cref="TestWebApp"/>) on an in-process <see cref="TestServer"/> with the JSON API
/// at <c>/api</c>: TaskRunner on a real SQLite file with a worker serving the <c>default</c> queue (jobs in <c>held</c> wait: nobody serves it), on a
/// fake clock standing at <see cref="T0"/>, so every stored time is known. A local enqueue wakes the worker at once, so
/// jobs run without the clock moving. Requests arrive from <see cref="RemoteIp"/> (loopback unless a test changes it).
/// The OpenAPI document is at <c>/openapi/v1.json</c>.</summary>
internal sealed class ApiServer : TestWebApp
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

    private ApiServer(WebApplication app, SqliteStoreFactory files, RecordingLoggerProvider logs, FakeTimeProvider time)
        : base(app, files, logs) => Time = time;

    public HttpClient Client { get; private set; } = null!;

    public FakeTimeProvider Time { get; }

    /// <param name="configure">The API's options.</param>
    /// <param name="worker">Whether this host runs jobs (<c>AddTaskRunnerWorker</c>) or only enqueues and watches (<c>AddTaskRunner</c>).</param>
    public static async Task<ApiServer> StartAsync(Action<TaskRunnerApiOptions>? configure = null, bool worker = true)
    {
        var builder = CreateBuilder("operators", out var files, out var logs);
        var time = new FakeTimeProvider(T0);
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddOpenApi();
        Action<ITaskRunnerBuilder> taskRunner = b => b
            .UseSqlite(files.Path)
            .AddJob<WorkHandler, Work>("work")
            .AddJob<ResizeHandler, Resize>("resize-image")
            .AddQueue("default")
            .AddQueue("mail")
            .AddRecurring("nightly-report", "0 3 * * *", new Work("nightly"), o => o.JobName = "work");
        if (worker)
        {
            builder.Services.AddTaskRunnerWorker(taskRunner);
        }
        else
        {
            builder.Services.AddTaskRunner(taskRunner);
        }

        var server = new ApiServer(builder.Build(), files, logs, time);
        server.UseRemoteIp();
        server.App.UseAuthentication();
        server.App.UseAuthorization();
        server.App.MapOpenApi();
        server.App.MapTaskRunnerApi("/api", configure);
        await server.App.StartAsync();
        server.Client = server.App.GetTestClient();
        return server;
    }

    public override async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>Seed 004's job: resizes an image, reporting progress half way, then waits for the test's release (the
/// <see cref="Probe.ReleaseGate"/> of its <see cref="Resize.File"/>) and stores a result.</summary>
internal sealed record Resize(string File, int Width);

/// <summary>Runs <see cref="Resize"/>.</summary>
internal sealed class ResizeHandler(Probe probe) : IJobHandler<Resize>
{
    public async ValueTask ExecuteAsync(Resize payload, JobContext context)
    {
        await context.ReportProgressAsync(50, "resizing " + payload.File).ConfigureAwait(false);
        probe.StartedGate(payload.File).Open();
        await probe.ReleaseGate(payload.File).Task.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        context.SetResult(new { file = payload.File, width = payload.Width, bytes = 1234 });
    }
}

/// <summary>Calls to the API and reading its answers.</summary>
internal static class ApiCalls
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(this ApiServer server, string path)
    {
        using var response = await server.Client.GetAsync(path);
        return (response.StatusCode, await BodyAsync(response));
    }

    /// <summary>POSTs an action the way a same-site page does: with the action header, and a JSON body when given.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(this ApiServer server, string path, string? json = null, bool actionHeader = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        if (actionHeader)
        {
            request.Headers.Add(TaskRunnerApiOptions.ActionHeader, "1");
        }

        using var response = await server.Client.SendAsync(request);
        return (response.StatusCode, await BodyAsync(response));
    }

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts a problem-details answer with <paramref name="status"/> whose detail contains each of <paramref name="detailContains"/>.</summary>
    public static void AssertProblem((HttpStatusCode Status, JsonElement Body) answer, HttpStatusCode status, params string[] detailContains)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal((int)status, answer.Body.GetProperty("status").GetInt32());
        var detail = answer.Body.GetProperty("detail").GetString();
        foreach (var part in detailContains)
        {
            Assert.Contains(part, detail, StringComparison.Ordinal);
        }
    }
}
