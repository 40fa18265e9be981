namespace Keel.Core.Deployments;

/// <summary>Durable deployments, their revisions and events.</summary>
public interface IDeploymentStore
{
    /// <summary>Stores a new deployment with its first revision; false when the name is taken.</summary>
    Task<bool> CreateAsync(Deployment deployment, DeploymentRevision revision, CancellationToken ct);

    Task<Deployment?> GetAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<Deployment>> ListAsync(CancellationToken ct);

    /// <summary>
    /// Replaces the deployment when its stored revision is still <paramref name="expectedRevision"/>
    /// (false otherwise: someone else changed it), adding <paramref name="revision"/> when given.
    /// </summary>
    Task<bool> UpdateAsync(Deployment deployment, long expectedRevision, DeploymentRevision? revision, CancellationToken ct);

    Task<DeploymentRevision?> GetRevisionAsync(string name, long revision, CancellationToken ct);

    Task AddEventAsync(DeploymentEvent deploymentEvent, CancellationToken ct);

    /// <summary>Revisions and events, newest first, at most <paramref name="limit"/> of each.</summary>
    Task<DeploymentHistory> GetHistoryAsync(string name, int limit, CancellationToken ct);

    /// <summary>Removes the deployment, its revisions and events; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct);
}
