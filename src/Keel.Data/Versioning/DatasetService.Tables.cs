using System.Text;
using System.Text.Json;
using Keel.Core.Datasets;
using Keel.Core.Errors;
using Keel.Data.Profiling;
using Keel.Data.Validation;
using Keel.Tabular.Chunks;

namespace Keel.Data.Versioning;

/// <summary>The tables of a version: each tabular file's profile and, when a suite ran, its report.</summary>
public sealed record VersionTables(IReadOnlyDictionary<string, TableProfile> Profiles, IReadOnlyDictionary<string, ValidationReport> Reports)
{
    public static readonly VersionTables None = new(new Dictionary<string, TableProfile>(), new Dictionary<string, ValidationReport>());

    /// <summary>The rows of all tabular files, or null when there are none.</summary>
    public long? RowCount => Profiles.Count == 0 ? null : Profiles.Values.Sum(p => p.RowCount);

    /// <summary>The schema of the first tabular file (by path).</summary>
    public string? Schema => First(Profiles)?.SchemaJson();

    /// <summary>The profile of the first tabular file by path: what stands for a version where one table is wanted (schema, drift reference).</summary>
    public static TableProfile? First(IReadOnlyDictionary<string, TableProfile> profiles) =>
        profiles.Count == 0 ? null : profiles.MinBy(p => p.Key, StringComparer.Ordinal).Value;
}

/// <summary>Profiles, suites and validation of a dataset's tabular files (CSV, Parquet, JSON lines).</summary>
public sealed partial class DatasetService
{
    public const string ProfileFolder = "datasets/profiles";
    public const string SuiteFolder = "datasets/suites";
    public const string ReportFolder = "datasets/reports";
    public const int MaxSuiteBytes = 1024 * 1024;

    public static string ProfilePath(string id) => $"{ProfileFolder}/{id}.json";

    public static string ReportPath(string id) => $"{ReportFolder}/{id}.json";

    public static string SuitePath(string dataset) => $"{SuiteFolder}/{Convert.ToHexStringLower(Encoding.UTF8.GetBytes(dataset))}.yaml";

    /// <summary>Whether a file of a version is a table Keel profiles, by its extension.</summary>
    public static bool IsTabular(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".csv" or ".parquet" or ".pq" or ".jsonl" or ".ndjson";

    /// <summary>The stored profiles of a version's tabular files (empty when it has none or they were too large to profile on add).</summary>
    public async Task<IReadOnlyDictionary<string, TableProfile>> GetProfilesAsync(string name, string? reference, CancellationToken ct)
    {
        var version = await GetVersionAsync(name, reference, ct);
        return (await ReadJsonAsync<Dictionary<string, TableProfile>>(ProfilePath(version.Id), ct)) ?? [];
    }

    /// <summary>Profiles every tabular file of a version now (whatever its size), stores the profiles and the row count and schema.</summary>
    public async Task<IReadOnlyDictionary<string, TableProfile>> ComputeProfilesAsync(string name, string? reference, CancellationToken ct)
    {
        var version = await GetVersionAsync(name, reference, ct);
        var manifest = await ReadManifestAsync(version.Id, ct);
        var tables = await ReadTablesAsync(manifest, null, null, long.MaxValue, ct);
        await WriteJsonAsync(ProfilePath(version.Id), tables.Profiles, ct);
        await store.SetTableInfoAsync(name, version.Id, tables.RowCount, tables.Schema, ct);
        return tables.Profiles;
    }

    /// <summary>The reports of the suite that ran when the version was added (empty when none did).</summary>
    public async Task<IReadOnlyDictionary<string, ValidationReport>> GetReportsAsync(string name, string? reference, CancellationToken ct)
    {
        var version = await GetVersionAsync(name, reference, ct);
        return (await ReadJsonAsync<Dictionary<string, ValidationReport>>(ReportPath(version.Id), ct)) ?? [];
    }

    /// <summary>The YAML of the suite attached to a dataset, or null.</summary>
    public async Task<string?> GetSuiteAsync(string name, CancellationToken ct)
    {
        await GetDatasetAsync(name, ct);
        return await ReadSuiteAsync(name, ct);
    }

    /// <summary>The attached suite's YAML, or null (the dataset is not looked up: a new dataset has none).</summary>
    private async Task<string?> ReadSuiteAsync(string name, CancellationToken ct)
    {
        await using var stream = await artifacts.OpenReadAsync(SuitePath(name), ct);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    /// <summary>Attaches a suite to a dataset (checked first): later adds run it and refuse or warn per its <c>on_add</c>.</summary>
    public async Task<ExpectationSuite> SetSuiteAsync(string name, string yaml, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (Encoding.UTF8.GetByteCount(yaml) > MaxSuiteBytes)
        {
            throw KeelException.Invalid($"'suite' is larger than {MaxSuiteBytes / 1024} KiB.");
        }

        var suite = ExpectationSuite.Parse(yaml);
        await GetDatasetAsync(name, ct);
        await artifacts.WriteAsync(SuitePath(name), new MemoryStream(Encoding.UTF8.GetBytes(yaml)), ct);
        return suite;
    }

    public async Task DetachSuiteAsync(string name, CancellationToken ct)
    {
        await GetDatasetAsync(name, ct);
        await artifacts.DeleteAsync(SuitePath(name), ct);
    }

    /// <summary>Runs a suite on every tabular file of a stored version (nothing is stored).</summary>
    public async Task<IReadOnlyDictionary<string, ValidationReport>> ValidateVersionAsync(string name, string? reference, ExpectationSuite suite, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var version = await GetVersionAsync(name, reference, ct);
        var manifest = await ReadManifestAsync(version.Id, ct);
        if (!manifest.Files.Any(f => IsTabular(f.Path)))
        {
            throw KeelException.Invalid($"Dataset '{name}' version {version.Number} has no tabular file (.csv, .parquet, .jsonl) to validate.");
        }

        var tables = await ReadTablesAsync(manifest, suite, await ReferenceProfileAsync(suite, ct), long.MaxValue, ct);
        return tables.Reports;
    }

    /// <summary>
    /// The reference profile a suite's drift checks compare with: <c>DATASET@VERSION</c> (or just
    /// DATASET for its latest version), the first tabular file's profile; null when the suite names none.
    /// </summary>
    public async Task<TableProfile?> ReferenceProfileAsync(ExpectationSuite suite, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (suite.Reference is not { } reference)
        {
            return null;
        }

        var at = reference.LastIndexOf('@');
        var (dataset, version) = at < 0 ? (reference, null) : (reference[..at], reference[(at + 1)..]);
        var profiles = await GetProfilesAsync(dataset, version, ct);
        return VersionTables.First(profiles)
            ?? throw KeelException.Invalid($"The suite's reference '{reference}' has no profiled table (profile it with `keel data profile {reference} --compute`).");
    }

    /// <summary>
    /// Profiles (and, with a suite, validates) the tabular files of a manifest up to
    /// <paramref name="maxBytes"/> in total, reading them from their stored chunks.
    /// </summary>
    private async Task<VersionTables> ReadTablesAsync(DatasetManifest manifest, ExpectationSuite? suite, TableProfile? reference, long maxBytes, CancellationToken ct)
    {
        var tabular = manifest.Files.Where(f => IsTabular(f.Path)).ToList();
        if (tabular.Count == 0 || (suite is null && tabular.Sum(f => f.Size) > maxBytes))
        {
            return VersionTables.None;
        }

        var profiles = new SortedDictionary<string, TableProfile>(StringComparer.Ordinal);
        var reports = new SortedDictionary<string, ValidationReport>(StringComparer.Ordinal);
        foreach (var file in tabular)
        {
            Task<TableChunkReader> Open(CancellationToken token) =>
                TableChunkReader.OpenAsync(() => new ChunkedFileStream(this, file), file.Path, cancellationToken: token);
            try
            {
                if (suite is null)
                {
                    profiles[file.Path] = await TableProfiler.ProfileAsync(Open, _options.Profile, ct);
                }
                else
                {
                    var (report, profile) = await SuiteValidator.ValidateAsync(suite, Open, file.Path, reference, _options.Profile, ct);
                    profiles[file.Path] = profile;
                    reports[file.Path] = report;
                }
            }
            catch (Exception e) when (e is not (KeelException or OperationCanceledException))
            {
                throw KeelException.Invalid($"'{file.Path}' cannot be read as a {Path.GetExtension(file.Path).TrimStart('.')} table: {e.Message}");
            }
        }

        return new VersionTables(profiles, reports);
    }

    private async Task<T?> ReadJsonAsync<T>(string path, CancellationToken ct)
        where T : class
    {
        await using var stream = await artifacts.OpenReadAsync(path, ct);
        return stream is null ? null : await JsonSerializer.DeserializeAsync<T>(stream, TableProfile.Json, ct);
    }

    private Task WriteJsonAsync<T>(string path, T value, CancellationToken ct) =>
        artifacts.WriteAsync(path, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(value, TableProfile.Json)), ct);
}
