using Keel.Monitoring.Alerts;
using Keel.Monitoring.Monitors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Monitoring;

/// <summary>
/// Runs every monitor whose schedule is due, one at a time, then evaluates the alert rules, every
/// <see cref="TickInterval"/>; a failing monitor is logged and tried again at its next tick.
/// </summary>
internal sealed partial class MonitorScheduler(MonitorService monitors, AlertService alerts, MonitorGauges gauges, TimeProvider time, ILogger<MonitorScheduler> logger) : BackgroundService
{
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TickInterval, time);
        do
        {
            try
            {
                foreach (var monitor in await monitors.DueAsync(stoppingToken))
                {
                    try
                    {
                        gauges.Record(monitor, await monitors.RunAsync(monitor.Name, null, stoppingToken));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogRunFailed(logger, e, monitor.Name);
                    }
                }

                await alerts.EvaluateAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTickFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitor {Name} failed to run; it is tried again at its next scheduled time.")]
    private static partial void LogRunFailed(ILogger logger, Exception e, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The monitor scheduler could not list its monitors.")]
    private static partial void LogTickFailed(ILogger logger, Exception e);
}
