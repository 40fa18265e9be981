using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Keel.Core.Monitoring;
using Keel.Monitoring.Alerts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Keel.Server.Monitoring;

/// <summary>
/// Sends alert events to their rules' webhooks off the evaluation path: a JSON body, signed with
/// HMAC-SHA256 when the webhook has a secret (<c>X-Keel-Signature: sha256=HEX</c>), retried with
/// exponential back-off and jitter on a network error, a timeout, 408, 429 or a 5xx (Polly), then
/// recorded as delivered or failed. The queue is bounded; beyond it events are dropped and logged.
/// </summary>
internal sealed partial class WebhookNotifier : BackgroundService, IAlertNotifier
{
    public const int QueueCapacity = 10_000;

    private readonly Channel<AlertNotification> _queue = Channel.CreateBounded<AlertNotification>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly HttpClient _http;
    private readonly IAlertStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookNotifier> _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;

    public WebhookNotifier(IAlertStore store, TimeProvider time, ILogger<WebhookNotifier> logger, WebhookOptions options)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _http = new HttpClient { Timeout = options.Timeout };
        _retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = options.FirstRetryDelay,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>()
                    .HandleResult(r => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
            })
            .Build();
    }

    public void Enqueue(AlertNotification notification)
    {
        if (!_queue.Writer.TryWrite(notification))
        {
            LogDropped(_logger, notification.Event.Rule, notification.Event.Id);
        }
    }

    /// <summary>The HMAC-SHA256 signature header value of a body.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>The JSON a webhook receives.</summary>
    public static byte[] Body(AlertNotification notification)
    {
        var e = notification.Event;
        var rule = notification.Rule;
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["event"] = e.Kind,
            ["id"] = e.Id,
            ["rule"] = e.Rule,
            ["severity"] = e.Severity,
            ["time"] = DateTimeOffset.FromUnixTimeMilliseconds(e.Time).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["value"] = e.Value,
            ["metric"] = rule.Metric,
            ["feature"] = rule.Monitor is null ? null : rule.Feature,
            ["monitor"] = rule.Monitor,
            ["deployment"] = rule.Deployment,
            ["comparison"] = rule.Comparison,
            ["threshold"] = rule.Threshold,
            ["message"] = e.Message,
            ["action"] = e.Action,
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var notification in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            var body = Body(notification);
            foreach (var hook in notification.Rule.Webhooks ?? [])
            {
                await DeliverAsync(notification, hook, body, stoppingToken);
            }
        }
    }

    private async Task DeliverAsync(AlertNotification notification, WebhookSpec hook, byte[] body, CancellationToken ct)
    {
        var attempts = 0;
        int? status = null;
        string? error = null;
        try
        {
            using var response = await _retry.ExecuteAsync(async token =>
            {
                attempts++;
                using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.Add("X-Keel-Event", notification.Event.Kind);
                request.Headers.Add("X-Keel-Delivery", notification.Event.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (hook.Secret is { Length: > 0 } secret)
                {
                    request.Headers.Add("X-Keel-Signature", Sign(secret, body));
                }

                return await _http.SendAsync(request, token);
            }, ct);
            status = (int)response.StatusCode;
            error = response.IsSuccessStatusCode ? null : $"HTTP {status}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            error = e.Message;
        }

        await _store.AddDeliveryAsync(new AlertDelivery(notification.Event.Id, hook.Url, error is null ? "delivered" : "failed", attempts, status, error,
            _time.GetUtcNow().ToUnixTimeMilliseconds()), CancellationToken.None);
        if (error is not null)
        {
            LogFailed(_logger, notification.Event.Rule, hook.Url, attempts, error);
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Rule} event {Id} dropped: the webhook queue is full.")]
    private static partial void LogDropped(ILogger logger, string rule, long id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Rule}: delivery to {Url} failed after {Attempts} attempts: {Error}")]
    private static partial void LogFailed(ILogger logger, string rule, string url, int attempts, string error);
}

/// <summary>Webhook delivery settings: first retry after <see cref="FirstRetryDelay"/>, doubling, at most <see cref="MaxRetries"/> retries.</summary>
public sealed record WebhookOptions
{
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public int MaxRetries { get; init; } = 5;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
