using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskRunner.Tests.Events.Docs;
using TaskRunner.Tests.Sqlite;

namespace TaskRunner.Tests.Events;

/// <summary>docs/events.md shows <see cref="EventsDocExample"/> verbatim, and that example works.</summary>
public sealed class EventsDocExampleTests
{
    [Fact]
    public void The_doc_shows_the_example_as_it_compiles_here()
    {
        var root = RepositoryRoot();
        var source = File.ReadAllText(Path.Combine(root, "tests", "TaskRunner.Tests", "Events", "EventsDocExample.cs"));
        var begin = source.IndexOf("// doc:begin\n", StringComparison.Ordinal) + "// doc:begin\n".Length;
        var end = source.IndexOf("        // doc:end", StringComparison.Ordinal);
        var example = string.Join('\n', source[begin..end].TrimEnd('\n').Split('\n').Select(line => line.Length >= 8 ? line[8..] : line.TrimStart()));

        var doc = File.ReadAllText(Path.Combine(root, "docs", "events.md"));

        Assert.Contains("```csharp\n" + example + "\n```", doc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_example_publishes_from_code_and_from_a_signed_webhook()
    {
        await using var files = new SqliteStoreFactory();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration["Jobs:Path"] = files.Path;
        builder.Configuration["Webhooks:Secret"] = "s3cret";
        await using var app = EventsDocExample.Build(builder);
        await app.StartAsync();
        using var client = app.GetTestClient();
        var store = app.Services.GetRequiredService<IJobStore>();

        using var fromCode = await client.PostAsJsonAsync("/orders/o-1/paid", new EventsDocExample.OrderPaid("o-1", 20m, "a@b.c"));
        using var retried = await client.PostAsJsonAsync("/orders/o-1/paid", new EventsDocExample.OrderPaid("o-1", 20m, "a@b.c"));
        const string Body = """{"orderId":"o-2","total":5,"email":"c@d.e"}""";
        using var hook = new HttpRequestMessage(HttpMethod.Post, "/webhooks/order.paid") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        hook.Headers.Add("X-Event-Id", "delivery-1");
        hook.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("s3cret"u8, Encoding.UTF8.GetBytes(Body))));
        using var fromHook = await client.SendAsync(hook);

        Assert.Equal("""{"jobs":2,"duplicate":false}""", await fromCode.Content.ReadAsStringAsync());
        Assert.Equal("""{"jobs":2,"duplicate":true}""", await retried.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Accepted, fromHook.StatusCode);
        var jobs = await store.ListAsync(new JobQuery { Limit = 10 });
        Assert.Equal(
            ["event:order.paid:order-o-1-paid:send-receipt", "event:order.paid:order-o-1-paid:reserve-stock", "event:order.paid:delivery-1:send-receipt", "event:order.paid:delivery-1:reserve-stock"],
            jobs.Select(j => j.IdempotencyKey));
        await app.StopAsync();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Sdk.sln not found above the test output.");
    }
}
