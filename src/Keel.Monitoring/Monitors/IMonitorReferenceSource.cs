using Keel.Monitoring.Drift;

namespace Keel.Monitoring.Monitors;

/// <summary>The reference a monitor resolved: what it is, and its data (a profile) for drift.</summary>
public sealed record MonitorReferenceData(string Description, DriftData Data);

/// <summary>Resolves a monitor's reference (datasets, registry and runs live in the server, which implements this).</summary>
public interface IMonitorReferenceSource
{
    /// <summary>Throws RESOURCE_DOES_NOT_EXIST or INVALID_PARAMETER_VALUE naming what could not be found.</summary>
    Task<MonitorReferenceData> LoadAsync(MonitorSpec spec, CancellationToken ct);
}
