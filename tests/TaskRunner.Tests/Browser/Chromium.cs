using Microsoft.Playwright;

namespace TaskRunner.Tests.Browser;

/// <summary>Debian's Chromium driven by Playwright, launched once for the browser tests. Browsers are never downloaded:
/// the executable is <c>TASKRUNNER_CHROMIUM</c> or <c>/usr/bin/chromium</c>, and a machine without it fails the tests
/// with the command that installs it.</summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string DefaultPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The executable the tests launch.</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("TASKRUNNER_CHROMIUM") is { Length: > 0 } path ? path : DefaultPath;

    public async Task InitializeAsync()
    {
        var path = ExecutablePath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at '{path}': the dashboard's browser tests need it. Install Debian's package with "
                + "'apt-get install -y chromium' (as .ci/run does), or point TASKRUNNER_CHROMIUM at a Chromium executable.");
        }

        // Generous under load: the machine builds and tests in parallel.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        var args = new List<string> { "--disable-dev-shm-usage", "--disable-gpu" };
        if (Environment.UserName == "root")
        {
            args.Add("--no-sandbox"); // Chromium refuses to start its sandbox as root
        }

        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = path, Headless = true, Args = args, Timeout = 60_000 });
    }

    /// <summary>A fresh page in a context of its own (no shared cookies or storage), failing on any dialog it opens.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync();
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        page.Dialog += (_, dialog) => Dialogs.Add(dialog.Message);
        return page;
    }

    /// <summary>Messages of every dialog (alert, confirm, prompt) a page opened: the dashboard opens none.</summary>
    public System.Collections.Concurrent.ConcurrentBag<string> Dialogs { get; } = [];

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The browser tests share one Chromium and run one at a time (the machine has two cores).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Chromium>
{
    public const string Name = "Browser";
}
