using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keel.Core.Deployments;
using Keel.Server.Tests.Deployments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Monitoring;

/// <summary>
/// Alert rules end to end: a real receiving server that fails the first delivery, the retry, the
/// HMAC signature checked with the secret, firing then resolving, pending under a for-duration,
/// and bad specs.
/// </summary>
public sealed class AlertTests
{
    private const string Secret = "s3cret-for-tests";

    [Fact]
    public async Task A_rule_fires_and_resolves_and_its_webhook_is_signed_and_retried_after_a_failed_delivery()
    {
        await using var receiver = await Receiver.StartAsync(failFirst: 1);
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1, o =>
        {
            o.WebhookRetrySeconds = 0.05;
            o.MonitorTickSeconds = 3600; // evaluations below are explicit
        });
        await f.Client.CreateDeploymentAsync("alerted", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await f.InvokeAsync("alerted")).Status);
        }

        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.SearchInferenceLogAsync("alerted")).Count == 3));
        var created = await f.ApiAsync(HttpMethod.Post, "alerts/rules", new
        {
            name = "busy",
            spec = new
            {
                deployment = "alerted",
                metric = "requests",
                window_seconds = 2,
                comparison = ">",
                threshold = 0,
                severity = "critical",
                webhooks = new[] { new { url = receiver.Url, secret = Secret } },
                action = "pipeline:retrain-iris",
            },
        });
        Assert.Equal("***", created.GetProperty("rule").GetProperty("spec").GetProperty("webhooks")[0].GetProperty("secret").GetString());

        var fired = await f.ApiAsync(HttpMethod.Post, "alerts/evaluate", new { });
        var firing = fired.GetProperty("events")[0];
        Assert.Equal(("busy", "firing", 3.0), (firing.GetProperty("rule").GetString(), firing.GetProperty("kind").GetString(), firing.GetProperty("value").GetDouble()));

        // The first delivery gets a 500; the retry is accepted. Both carry the same delivery id and a valid signature.
        Assert.True(await DeploymentFixture.EventuallyAsync(() => Task.FromResult(receiver.Calls.Count >= 2)));
        var calls = receiver.Calls.ToArray();
        Assert.Equal(calls[0].Body, calls[1].Body);
        Assert.All(calls, c =>
        {
            Assert.Equal("firing", c.Event);
            Assert.Equal(firing.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), c.Delivery);
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), c.Body)), c.Signature);
        });
        using (var body = JsonDocument.Parse(calls[0].Body))
        {
            Assert.Equal("pipeline:retrain-iris", body.RootElement.GetProperty("action").GetString());
            Assert.Equal("critical", body.RootElement.GetProperty("severity").GetString());
            Assert.Equal("alerted", body.RootElement.GetProperty("deployment").GetString());
        }

        JsonElement delivery = default;
        Assert.True(await DeploymentFixture.EventuallyAsync(async () =>
        {
            var events = await f.ApiAsync(HttpMethod.Get, "alerts/events?rule=busy");
            var deliveries = events.GetProperty("events")[0].GetProperty("deliveries");
            delivery = deliveries.GetArrayLength() > 0 ? deliveries[0] : default;
            return deliveries.GetArrayLength() > 0;
        }));
        Assert.Equal(("delivered", 2, 200), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("http_status").GetInt32()));

        // Still true: no new event. Once the 2-second window holds no request, it resolves.
        Assert.Equal(0, (await f.ApiAsync(HttpMethod.Post, "alerts/evaluate", new { })).GetProperty("events").GetArrayLength());
        await Task.Delay(2_200);
        var resolved = (await f.ApiAsync(HttpMethod.Post, "alerts/evaluate", new { })).GetProperty("events")[0];
        Assert.Equal("resolved", resolved.GetProperty("kind").GetString());
        Assert.True(await DeploymentFixture.EventuallyAsync(() => Task.FromResult(receiver.Calls.Any(c => c.Event == "resolved"))));
        var history = (await f.ApiAsync(HttpMethod.Get, "alerts/events?rule=busy")).GetProperty("events");
        Assert.Equal(["resolved", "firing"], history.EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("ok", (await f.ApiAsync(HttpMethod.Get, "alerts/rules?name=busy")).GetProperty("rule").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_for_duration_keeps_a_rule_pending_and_a_monitor_without_data_keeps_it_quiet()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1, o => o.MonitorTickSeconds = 3600);
        await f.Client.CreateDeploymentAsync("slow", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        Assert.Equal(200, (await f.InvokeAsync("slow")).Status);
        Assert.True(await DeploymentFixture.EventuallyAsync(async () => (await f.Client.SearchInferenceLogAsync("slow")).Count == 1));
        await f.ApiAsync(HttpMethod.Post, "alerts/rules", new { name = "held", spec = new { deployment = "slow", metric = "requests", comparison = ">=", threshold = 1, for_seconds = 3600 } });
        await f.ApiAsync(HttpMethod.Post, "alerts/rules", new { name = "drifty", spec = new { monitor = "not-run-yet", metric = "drift_share", comparison = ">=", threshold = 0.5 } });
        Assert.Equal(0, (await f.ApiAsync(HttpMethod.Post, "alerts/evaluate", new { })).GetProperty("events").GetArrayLength());
        var rules = (await f.ApiAsync(HttpMethod.Get, "alerts/rules/list")).GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("state").GetString());
        Assert.Equal("pending", rules["held"]);
        Assert.Equal("ok", rules["drifty"]);
    }

    [Fact]
    public async Task Bad_rules_are_refused_with_the_field_named()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        foreach (var (spec, field) in new (object Spec, string Field)[]
        {
            (new { deployment = "d", metric = "requests", comparison = "=>", threshold = 1 }, "'comparison'"),
            (new { deployment = "d", metric = "accuracy", comparison = ">", threshold = 1 }, "'metric'"),
            (new { monitor = "m", deployment = "d", metric = "x", comparison = ">", threshold = 1 }, "exactly one of 'monitor' or 'deployment'"),
            (new { monitor = "m", metric = "x", comparison = ">", threshold = 1, webhooks = new[] { new { url = "ftp://example" } } }, "webhooks[0].url"),
            (new { monitor = "m", metric = "x", comparison = ">", threshold = 1, severity = "urgent" }, "'severity'"),
        })
        {
            using var response = await f.Http.PostAsync("/api/2.0/keel/alerts/rules", JsonContent(new { name = "bad", spec }));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    /// <summary>A webhook receiver on a loopback port that answers 500 to its first <c>failFirst</c> calls.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Receiver(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public ConcurrentQueue<(string Event, string Delivery, string Signature, byte[] Body)> Calls { get; } = new();

        public static async Task<Receiver> StartAsync(int failFirst)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            Receiver? self = null;
            var count = 0;
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                self!.Calls.Enqueue((context.Request.Headers["X-Keel-Event"].ToString(), context.Request.Headers["X-Keel-Delivery"].ToString(),
                    context.Request.Headers["X-Keel-Signature"].ToString(), buffer.ToArray()));
                context.Response.StatusCode = Interlocked.Increment(ref count) <= failFirst ? 500 : 200;
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            self = new Receiver(app, address + "/hook");
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
