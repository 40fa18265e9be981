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

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUri.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        return await context.NewPageAsync();
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
