using System.Text.Json;
using Keel.Data.Profiling;
using Keel.Data.Validation;

namespace Keel.Client;

/// <summary>The tables of versioned datasets: profiles, suites and validation (issue 6).</summary>
public sealed partial class KeelClient
{
    /// <summary>The stored profile of each tabular file of a version, by path (empty when none was made on add).</summary>
    /// <param name="name">The dataset.</param>
    /// <param name="version">Id, prefix, number, or null for the latest.</param>
    /// <param name="compute">Profile the version now (whatever its size) and store the result.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The profiles by file path.</returns>
    public async Task<IReadOnlyDictionary<string, TableProfile>> GetDatasetProfilesAsync(
        string name, string? version = null, bool compute = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = compute
            ? await SendKeelAsync(HttpMethod.Post, "datasets/versions/profile", null, w => NameAndVersion(w, name, version), cancellationToken)
            : await SendKeelAsync(HttpMethod.Get, "datasets/versions/profile", Query(("name", name), ("version", version)), null, cancellationToken);
        return document.RootElement.GetProperty("profiles").Deserialize<Dictionary<string, TableProfile>>(TableProfile.Json) ?? [];
    }

    /// <summary>The reports of the suite that ran when the version was added, by file path (empty when none ran).</summary>
    public async Task<IReadOnlyDictionary<string, ValidationReport>> GetDatasetReportsAsync(string name, string? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Get, "datasets/versions/reports", Query(("name", name), ("version", version)), null, cancellationToken);
        return document.RootElement.GetProperty("reports").Deserialize<Dictionary<string, ValidationReport>>(TableProfile.Json) ?? [];
    }

    /// <summary>Attaches a suite (YAML) to a dataset: adds then run it and refuse or warn per its <c>on_add</c>.</summary>
    public async Task SetDatasetSuiteAsync(string name, string suiteYaml, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(suiteYaml);
        using var _ = await SendKeelAsync(HttpMethod.Post, "datasets/suite", null, w =>
        {
            w.WriteString("name", name);
            w.WriteString("suite", suiteYaml);
        }, cancellationToken);
    }

    /// <summary>The YAML of the suite attached to a dataset, or null when none is.</summary>
    public async Task<string?> GetDatasetSuiteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            using var document = await SendKeelAsync(HttpMethod.Get, "datasets/suite", Query(("name", name)), null, cancellationToken);
            return document.RootElement.GetProperty("suite").GetString();
        }
        catch (KeelApiException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST" && e.Message.Contains("no suite", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>Detaches the suite of a dataset.</summary>
    public async Task DeleteDatasetSuiteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await SendKeelAsync(HttpMethod.Delete, "datasets/suite", null, w => w.WriteString("name", name), cancellationToken);
    }

    /// <summary>Runs a suite (YAML) on the tabular files of a stored version; nothing is stored.</summary>
    /// <returns>One report per tabular file, by path.</returns>
    public async Task<IReadOnlyDictionary<string, ValidationReport>> ValidateDatasetAsync(
        string suiteYaml, string name, string? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suiteYaml);
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var document = await SendKeelAsync(HttpMethod.Post, "validate", null, w =>
        {
            w.WriteString("suite", suiteYaml);
            w.WriteString("dataset", name);
            if (version is not null)
            {
                w.WriteString("version", version);
            }
        }, cancellationToken);
        return document.RootElement.GetProperty("reports").Deserialize<Dictionary<string, ValidationReport>>(TableProfile.Json) ?? [];
    }

    /// <summary>The tabular part of a diff: each tabular file of either version compared by its profiles.</summary>
    private async Task<IReadOnlyList<TableDiff>> DiffTablesAsync(DatasetVersionInfo from, DatasetVersionInfo to, CancellationToken cancellationToken)
    {
        var before = await GetDatasetProfilesAsync(from.Name, from.Id, cancellationToken: cancellationToken);
        var after = await GetDatasetProfilesAsync(to.Name, to.Id, cancellationToken: cancellationToken);
        return TableDiff.CompareAll(before, after);
    }

    private static void NameAndVersion(Utf8JsonWriter w, string name, string? version)
    {
        w.WriteString("name", name);
        if (version is not null)
        {
            w.WriteString("version", version);
        }
    }
}
