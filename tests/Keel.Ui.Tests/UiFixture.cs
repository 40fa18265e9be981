using System.Runtime.CompilerServices;
using Deque.AxeCore.Playwright;
using Keel.Client;
using Keel.Testing;
using Microsoft.Playwright;

namespace Keel.Ui.Tests;

/// <summary>
/// A real keel server on a loopback port and Debian's Chromium driven by Playwright (headless, no
/// browser download). Screenshots of the pages go to docs/screenshots/ only when
/// KEEL_UPDATE_SCREENSHOTS=1 (see docs/screenshots/README.md).
/// </summary>
public sealed class UiFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public KeelServer Server { get; private set; } = null!;

    public KeelClient Client { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: ./test.sh installs Debian's chromium package when it is.");
        Server = await KeelServer.StartAsync();
        Client = new KeelClient(Server.BaseUri);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    private static readonly ConditionalWeakTable<IPage, List<string>> ScriptErrors = [];

    /// <summary>A page in a fresh browser context; uncaught script errors are recorded for <see cref="AssertNoScriptErrors"/>.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUri.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        ScriptErrors.Add(page, errors);
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(error);
            }
        };
        return page;
    }

    /// <summary>axe-core (from its npm package, inside Deque.AxeCore.Playwright) finds no serious or critical violation on the page as it is.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        // A page still loading is dimmed on purpose; check it as a person reads it, loaded.
        await page.Locator("main:not([aria-busy])").WaitForAsync();
        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{page.Url}: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target))}")));
        AssertNoScriptErrors(page);
    }

    /// <summary>Fails when a script of the page threw without catching (a broken page that may still look fine).</summary>
    public static void AssertNoScriptErrors(IPage page)
    {
        var errors = ScriptErrors.TryGetValue(page, out var list) ? list : [];
        lock (errors)
        {
            Assert.True(errors.Count == 0, "Uncaught script errors:\n" + string.Join("\n", errors));
        }
    }

    /// <summary>Saves a screenshot of the page under docs/screenshots/ when KEEL_UPDATE_SCREENSHOTS=1.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("KEEL_UPDATE_SCREENSHOTS") == "1")
        {
            var folder = Path.Combine(RepositoryFiles.Root, "docs", "screenshots");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
