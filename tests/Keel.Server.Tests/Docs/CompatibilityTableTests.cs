using Keel.Server.Endpoints;
using Keel.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Tests.Docs;

/// <summary>
/// docs/mlflow-compatibility.md against what the server maps. Rows whose status is `supported` are
/// the claim; the route table (and, for paths outside the API prefix, the running app) is the truth.
/// </summary>
public sealed class CompatibilityTableTests
{
    private const string Document = "docs/mlflow-compatibility.md";
    private const string Supported = "supported";

    private static readonly Comparer<(string Method, string Path)> RouteOrder = Comparer<(string Method, string Path)>.Create((a, b) =>
        string.CompareOrdinal(a.Path, b.Path) is var byPath and not 0 ? byPath : string.CompareOrdinal(a.Method, b.Method));

    [Fact]
    public void Compatibility_table_matches_the_route_table()
    {
        var documented = SupportedRows().Where(r => !r.Path.StartsWith('/')).Select(r => (r.Method, r.Path)).ToHashSet();
        var mapped = MlflowRouteTable.Create().Routes.Select(r => (r.Method, r.Path)).ToHashSet();

        var notMapped = documented.Except(mapped).OrderBy(r => r, RouteOrder).ToList();
        var notDocumented = mapped.Except(documented).OrderBy(r => r, RouteOrder).ToList();

        Assert.True(
            notMapped.Count == 0 && notDocumented.Count == 0,
            $"{Document} and MlflowRouteTable disagree.\n"
            + $"Rows marked '{Supported}' that the route table does not map ({notMapped.Count}):\n{Lines(notMapped)}\n"
            + $"Routes the table maps that no '{Supported}' row lists ({notDocumented.Count}):\n{Lines(notDocumented)}");
    }

    [Fact]
    public async Task Supported_rows_outside_the_api_prefix_match_the_endpoints_the_server_maps()
    {
        await using var server = await KeelServer.StartAsync();
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Path: e.RoutePattern.RawText ?? string.Empty)))
            .ToList();

        // Every route of the table is served under each prefix (the docs list it once).
        var missingUnderPrefix = MlflowRouteTable.Create().Routes
            .SelectMany(r => MlflowRouteTable.Prefixes.Select(prefix => (r.Method, Path: prefix + r.Path)))
            .Except(endpoints)
            .OrderBy(r => r, RouteOrder)
            .ToList();
        Assert.True(missingUnderPrefix.Count == 0, $"Routes of the table not mapped under every prefix:\n{Lines(missingUnderPrefix)}");

        // The rest (health, version): absolute paths in the document, matched both ways.
        var documented = SupportedRows().Where(r => r.Path.StartsWith('/')).Select(r => (r.Method, r.Path)).ToHashSet();
        var others = endpoints
            .Where(e => !MlflowRouteTable.Prefixes.Any(prefix => e.Path.StartsWith(prefix, StringComparison.Ordinal)))
            .ToHashSet();
        var notMapped = documented.Except(others).OrderBy(r => r, RouteOrder).ToList();
        var notDocumented = others.Except(documented).OrderBy(r => r, RouteOrder).ToList();
        Assert.True(
            notMapped.Count == 0 && notDocumented.Count == 0,
            $"{Document} and the endpoints outside {string.Join(" and ", MlflowRouteTable.Prefixes)} disagree.\n"
            + $"Rows marked '{Supported}' that the server does not map ({notMapped.Count}):\n{Lines(notMapped)}\n"
            + $"Endpoints no '{Supported}' row lists ({notDocumented.Count}):\n{Lines(notDocumented)}");
    }

    [Fact]
    public void Every_row_of_the_compatibility_tables_has_a_known_status()
    {
        var rows = Rows().ToList();
        Assert.True(rows.Count > 50, $"Expected the endpoint tables of {Document}; found {rows.Count} rows.");
        var bad = rows
            .Where(r => r.Status != Supported && r.Status != "not supported" && !r.Status.StartsWith("planned (issue ", StringComparison.Ordinal))
            .Select(r => $"  {r.Method} {r.Path}: '{r.Status}'")
            .ToList();
        Assert.True(bad.Count == 0, $"Statuses must be '{Supported}', 'planned (issue N)' or 'not supported':\n{string.Join('\n', bad)}");

        var methods = new HashSet<string>(StringComparer.Ordinal) { "GET", "POST", "PUT", "PATCH", "DELETE" };
        var vague = rows.Where(r => r.Status == Supported && !methods.Contains(r.Method)).Select(r => $"  '{r.Method}' {r.Path}").ToList();
        Assert.True(vague.Count == 0, $"A '{Supported}' row names exactly one HTTP method:\n{string.Join('\n', vague)}");
    }

    private static IEnumerable<Row> SupportedRows() => Rows().Where(r => r.Status == Supported);

    /// <summary>
    /// Rows of every table whose header is `| Method | Path | Status in Keel | Notes |`; the path
    /// cell may be wrapped in backticks.
    /// </summary>
    private static IEnumerable<Row> Rows()
    {
        var lines = RepositoryFiles.ReadText(Document).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!Cells(lines[i]).SequenceEqual(["Method", "Path", "Status in Keel", "Notes"]))
            {
                continue;
            }

            // Skip the header and the |---| line; the table ends at the first line that is not a row.
            for (i += 2; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++)
            {
                var cells = Cells(lines[i]);
                Assert.True(cells.Count == 4, $"{Document} line {i + 1} has {cells.Count} cells, not 4: {lines[i]}");
                yield return new Row(cells[0], cells[1].Trim('`'), cells[2]);
            }
        }
    }

    private static List<string> Cells(string line)
    {
        var trimmed = line.Trim();
        if (!trimmed.StartsWith('|') || !trimmed.EndsWith('|') || trimmed.Length < 2)
        {
            return [];
        }

        return trimmed[1..^1].Split('|').Select(c => c.Trim()).ToList();
    }

    private static string Lines(IEnumerable<(string Method, string Path)> routes) =>
        string.Join('\n', routes.Select(r => $"  {r.Method} {r.Path}").DefaultIfEmpty("  (none)"));

    private sealed record Row(string Method, string Path, string Status);
}
