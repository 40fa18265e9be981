using System.Text;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Data.Profiling;
using Keel.Data.Validation;
using Keel.Data.Versioning;
using Keel.Server.Http;
using Keel.Tabular.Chunks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Endpoints;

/// <summary>
/// The tables of versioned datasets (issue 6): profiles, the suite attached to a dataset, the
/// reports of add-time validation, and `POST /api/2.0/keel/validate`.
/// </summary>
internal static class DatasetTablesEndpoints
{
    /// <summary>Rows of inline data `validate` takes in one request.</summary>
    public const int MaxInlineRows = 100_000;

    public static void MapDatasetTablesEndpoints(this MlflowRouteTable routes) => routes
        .Get("keel/datasets/versions/profile", Permission.Read, GetProfile)
        .Post("keel/datasets/versions/profile", Permission.Edit, ComputeProfile)
        .Get("keel/datasets/versions/reports", Permission.Read, GetReports)
        .Get("keel/datasets/versions/table-diff", Permission.Read, DiffTables)
        .Get("keel/datasets/suite", Permission.Read, GetSuite)
        .Post("keel/datasets/suite", Permission.Manage, SetSuite)
        .Add("DELETE", "keel/datasets/suite", Permission.Manage, DeleteSuite)
        .Post("keel/validate", Permission.Read, Validate);

    private static DatasetService Service(MlflowRequest r) => r.Http.RequestServices.GetRequiredService<DatasetService>();

    private static async Task<IResult> GetProfile(MlflowRequest r)
    {
        var profiles = await Service(r).GetProfilesAsync(r.Args.RequiredString("name"), r.Args.String("version"), r.Ct);
        return Raw("profiles", profiles);
    }

    /// <summary>
    /// How each tabular file changed between two versions (`name`, `from`, `to`; `to_name` for a
    /// version of another dataset): rows, columns added and removed, each shared column's
    /// statistics before and after and its PSI — what `keel data diff` prints, for the web UI.
    /// </summary>
    private static async Task<IResult> DiffTables(MlflowRequest r)
    {
        var name = r.Args.RequiredString("name");
        var before = await Service(r).GetProfilesAsync(name, r.Args.RequiredString("from"), r.Ct);
        var after = await Service(r).GetProfilesAsync(r.Args.String("to_name") ?? name, r.Args.RequiredString("to"), r.Ct);
        return Raw("tables", TableDiff.CompareAll(before, after));
    }

    private static async Task<IResult> ComputeProfile(MlflowRequest r)
    {
        var profiles = await Service(r).ComputeProfilesAsync(r.Args.RequiredString("name"), r.Args.String("version"), r.Ct);
        return Raw("profiles", profiles);
    }

    private static async Task<IResult> GetReports(MlflowRequest r)
    {
        var reports = await Service(r).GetReportsAsync(r.Args.RequiredString("name"), r.Args.String("version"), r.Ct);
        return Raw("reports", reports);
    }

    private static async Task<IResult> GetSuite(MlflowRequest r)
    {
        var name = r.Args.RequiredString("name");
        var suite = await Service(r).GetSuiteAsync(name, r.Ct)
            ?? throw KeelException.NotFound($"Dataset '{name}' has no suite attached.");
        return JsonResult.Object(w => w.WriteString("suite", suite));
    }

    private static async Task<IResult> SetSuite(MlflowRequest r)
    {
        var yaml = r.Args.RequiredString("suite");
        var suite = await Service(r).SetSuiteAsync(r.Args.RequiredString("name"), yaml, r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteString("suite", yaml);
            w.WriteString("suite_name", suite.Name);
            w.WriteString("on_add", suite.OnAdd == OnFailure.Refuse ? "refuse" : "warn");
        });
    }

    private static async Task<IResult> DeleteSuite(MlflowRequest r)
    {
        await Service(r).DetachSuiteAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Empty;
    }

    /// <summary>
    /// Runs a suite (`suite`: YAML) on a stored version (`dataset`, optional `version`) or on rows
    /// sent inline (`records`: a list of JSON objects, at most <see cref="MaxInlineRows"/>).
    /// `format: "html"` answers with the HTML rendering of the first report instead of JSON.
    /// </summary>
    private static async Task<IResult> Validate(MlflowRequest r)
    {
        var service = Service(r);
        var suite = ExpectationSuite.Parse(r.Args.RequiredString("suite"));
        var dataset = r.Args.String("dataset");
        var body = r.Args.Body;
        IReadOnlyDictionary<string, ValidationReport> reports;
        if (dataset is not null)
        {
            reports = await service.ValidateVersionAsync(dataset, r.Args.String("version"), suite, r.Ct);
        }
        else if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("records", out var records))
        {
            var lines = InlineRecords(records);
            var (report, _) = await SuiteValidator.ValidateAsync(
                suite,
                ct => TableChunkReader.OpenAsync(() => new MemoryStream(lines, writable: false), "records.jsonl", cancellationToken: ct),
                "records", await service.ReferenceProfileAsync(suite, r.Ct), service.Options.Profile, r.Ct);
            reports = new Dictionary<string, ValidationReport> { ["records"] = report };
        }
        else
        {
            throw KeelException.Invalid("Name the data to validate: 'dataset' (and optionally 'version'), or 'records' (a list of JSON objects, one per row).");
        }

        var format = r.Args.String("format");
        if (string.Equals(format, "html", StringComparison.Ordinal))
        {
            return Results.Text(reports.Values.First().ToHtml(), "text/html", Encoding.UTF8);
        }

        if (format is not (null or "json"))
        {
            throw KeelException.Invalid($"'format' is '{format}'; it is json (the default) or html.");
        }

        var success = reports.Values.All(x => x.Success);
        return JsonResult.Object(w =>
        {
            w.WriteBoolean("success", success);
            w.WritePropertyName("reports");
            w.WriteRawValue(JsonSerializer.Serialize(reports, TableProfile.Json));
        });
    }

    /// <summary>The records as JSON lines, which the table reader types as it types a .jsonl file.</summary>
    private static byte[] InlineRecords(JsonElement records)
    {
        if (records.ValueKind != JsonValueKind.Array)
        {
            throw KeelException.Invalid("'records' must be a list of JSON objects, one per row.");
        }

        var count = records.GetArrayLength();
        if (count > MaxInlineRows)
        {
            throw KeelException.Invalid($"'records' holds {count:N0} rows; at most {MaxInlineRows:N0} per request (validate larger data as a dataset version).");
        }

        using var buffer = new MemoryStream();
        var index = 0;
        foreach (var record in records.EnumerateArray())
        {
            if (record.ValueKind != JsonValueKind.Object)
            {
                throw KeelException.Invalid($"'records[{index}]' is not a JSON object; each row is an object of column: value.");
            }

            buffer.Write(Encoding.UTF8.GetBytes(record.GetRawText()));
            buffer.WriteByte((byte)'\n');
            index++;
        }

        return buffer.ToArray();
    }

    private static JsonResult Raw<T>(string property, T value) => JsonResult.Object(w =>
    {
        w.WritePropertyName(property);
        w.WriteRawValue(JsonSerializer.Serialize(value, TableProfile.Json));
    });
}
