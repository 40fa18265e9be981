using System.ComponentModel.DataAnnotations;

namespace Keel.Server.Hosting;

/// <summary>
/// Everything `keel server` can be told. Precedence (docs/configuration.md): defaults, then
/// keel.yaml, then KEEL__… environment variables, then command-line flags.
/// </summary>
public sealed class KeelOptions
{
    /// <summary>Interface to listen on.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 5000;

    /// <summary>Folder for the embedded database and artifacts when no other location is given.</summary>
    [Required]
    public string DataDir { get; set; } = ".keel";

    /// <summary>`sqlite:///path.db` or `postgresql://user:pass@host:port/db`; default: SQLite in the data folder.</summary>
    public string? BackendStoreUri { get; set; }

    /// <summary>Folder where proxied artifacts are stored; default: `artifacts` in the data folder.</summary>
    public string? ArtifactsDestination { get; set; }

    /// <summary>Largest accepted request body in MiB for API calls (artifact uploads are not limited).</summary>
    [Range(1, 4096)]
    public int MaxRequestMb { get; set; } = 64;

    /// <summary>How often deployments re-resolve aliases and stages, judge rollouts and pick up other replicas' changes.</summary>
    [Range(0.05, 3600)]
    public double DeploymentRefreshSeconds { get; set; } = 1;

    /// <summary>How often the monitor scheduler looks for monitors whose schedule is due (each has its own schedule_seconds).</summary>
    [Range(0.05, 3600)]
    public double MonitorTickSeconds { get; set; } = 5;

    /// <summary>Delay before the first retry of a failed alert webhook delivery; it doubles (with jitter) for up to 5 retries.</summary>
    [Range(0.01, 600)]
    public double WebhookRetrySeconds { get; set; } = 1;
}
