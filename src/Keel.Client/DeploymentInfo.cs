using System.Text.Json;
using Keel.Core.Deployments;

namespace Keel.Client;

/// <summary>A route as the server serves it now: the version its URI resolved to and its share of the traffic.</summary>
/// <param name="Route">The route's name.</param>
/// <param name="ModelUri">What the route names (an alias is followed).</param>
/// <param name="ModelName">The registered model.</param>
/// <param name="Version">The version serving.</param>
/// <param name="Share">The fraction of requests it gets (the shadow's: the fraction copied to it).</param>
public sealed record ServingRoute(string Route, string ModelUri, string ModelName, string Version, double Share);

/// <summary>A deployment: its current revision's spec, any rollout, and what it serves now.</summary>
/// <param name="Name">The deployment's name.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="Revision">The current revision.</param>
/// <param name="Spec">The current revision's spec.</param>
/// <param name="Rollout">The latest rollout, if any (running or finished).</param>
/// <param name="Status"><c>serving</c>, <c>updating</c> or <c>not_loaded</c>.</param>
/// <param name="Serving">The routes as served now.</param>
/// <param name="Shadow">The shadow as served now, if any.</param>
/// <param name="CreationTime">When it was created (ms since the epoch).</param>
/// <param name="LastUpdatedTime">When it last changed (ms since the epoch).</param>
public sealed record DeploymentInfo(
    string Name,
    string? Description,
    long Revision,
    DeploymentSpec Spec,
    RolloutState? Rollout,
    string Status,
    IReadOnlyList<ServingRoute> Serving,
    ServingRoute? Shadow,
    long CreationTime,
    long LastUpdatedTime)
{
    internal static DeploymentInfo Read(JsonElement e)
    {
        static ServingRoute Route(JsonElement r, string name) => new(
            name, r.GetProperty("model_uri").GetString()!, r.GetProperty("model_name").GetString()!, r.GetProperty("version").GetString()!,
            r.GetProperty("share").GetDouble());
        return new DeploymentInfo(
            e.GetProperty("name").GetString()!,
            e.TryGetProperty("description", out var d) ? d.GetString() : null,
            e.GetProperty("revision").GetInt64(),
            DeploymentJson.ReadSpec(e),
            e.TryGetProperty("rollout", out var ro) ? DeploymentJson.RolloutStateFromString(ro.GetRawText()) : null,
            e.GetProperty("status").GetString()!,
            e.TryGetProperty("serving", out var s) ? [.. s.EnumerateArray().Select(r => Route(r, r.GetProperty("route").GetString()!))] : [],
            e.TryGetProperty("shadow_serving", out var sh) ? Route(sh, "shadow") : null,
            e.GetProperty("creation_time").GetInt64(),
            e.GetProperty("last_updated_time").GetInt64());
    }
}
