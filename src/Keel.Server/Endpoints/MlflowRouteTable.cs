using Keel.Core.Registry;
using Keel.Core.Tracking;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Endpoints;

/// <summary>What a route will require once access control is switched on: a level on its experiment.</summary>
public enum Permission
{
    /// <summary>Any signed-in user (e.g. create an experiment, search).</summary>
    Authenticated,
    Read,
    Edit,
    Manage,
}

/// <summary>Endpoint metadata carrying the permission a route declares.</summary>
public sealed record RequiredPermission(Permission Permission);

/// <summary>What a handler gets: the parsed fields, the services, the raw context for streaming.</summary>
public sealed record MlflowRequest(HttpContext Http, MlflowArgs Args, TrackingService Tracking, RegistryService Registry)
{
    public CancellationToken Ct => Http.RequestAborted;

    /// <summary>Sets this request's own body limit (null: none) in place of the API's, while the body is still unread.</summary>
    public void SetBodyLimit(long? bytes)
    {
        if (Http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = bytes;
        }
    }
}

public delegate Task<IResult> MlflowHandler(MlflowRequest request);

/// <param name="Path">Relative to the API version prefix, e.g. `mlflow/runs/create`.</param>
/// <param name="RawBody">The handler reads the body itself (artifact uploads): no JSON parsing, no size limit.</param>
public sealed record MlflowRoute(string Method, string Path, Permission Permission, MlflowHandler Handler, bool RawBody = false);

/// <summary>
/// The MLflow route table, declared once (one Map…Endpoints per resource) and mapped under both
/// `/api/2.0/` and `/ajax-api/2.0/`. docs/mlflow-compatibility.md is tested against it.
/// </summary>
public sealed class MlflowRouteTable
{
    public static readonly string[] Prefixes = ["/api/2.0/", "/ajax-api/2.0/"];

    private readonly List<MlflowRoute> _routes = [];

    public IReadOnlyList<MlflowRoute> Routes => _routes;

    public static MlflowRouteTable Create()
    {
        var table = new MlflowRouteTable();
        table.MapExperimentsEndpoints();
        table.MapRunsEndpoints();
        table.MapMetricsEndpoints();
        table.MapArtifactsEndpoints();
        table.MapRegisteredModelsEndpoints();
        table.MapModelVersionsEndpoints();
        table.MapDeploymentsEndpoints();
        table.MapDatasetsEndpoints();
        table.MapDatasetTablesEndpoints();
        table.MapMonitoringEndpoints();
        table.MapAlertsEndpoints();
        return table;
    }

    public MlflowRouteTable Get(string path, Permission permission, MlflowHandler handler) => Add("GET", path, permission, handler);

    public MlflowRouteTable Post(string path, Permission permission, MlflowHandler handler) => Add("POST", path, permission, handler);

    public MlflowRouteTable Add(string method, string path, Permission permission, MlflowHandler handler, bool rawBody = false)
    {
        _routes.Add(new MlflowRoute(method, path, permission, handler, rawBody));
        return this;
    }
}
