using System.Globalization;
using Keel.Core.Errors;

namespace Keel.Serving.Models;

/// <summary>
/// The <c>MLmodel</c> file at the root of an MLflow model folder (reference §8): the flavors that can
/// load the model, its signature, input example and provenance. Reads what MLflow's Python client
/// writes (2.x and 3.x), keeps keys it does not know in <see cref="AdditionalFields"/>, and writes
/// YAML that MLflow reads back with the same values.
/// </summary>
public sealed partial class ModelManifest
{
    /// <summary>The file name inside a model folder.</summary>
    public const string FileName = "MLmodel";

    /// <summary>The run-relative path (2.x, e.g. <c>model</c>) or the logged model's artifact URI (3.x).</summary>
    public string? ArtifactPath { get; set; }

    public string? RunId { get; set; }

    /// <summary>A random hex UUID (2.x) or the logged model id (3.x).</summary>
    public string? ModelUuid { get; set; }

    /// <summary>The 3.x LoggedModel id (<c>m-…</c>).</summary>
    public string? ModelId { get; set; }

    /// <summary>When the model was saved, in UTC (microsecond precision, as MLflow writes it).</summary>
    public DateTime? UtcTimeCreated { get; set; }

    /// <summary>The version of the MLflow client that wrote the file.</summary>
    public string? MlflowVersion { get; set; }

    /// <summary>Flavor name → its configuration (strings, numbers, booleans, null, lists and nested maps).</summary>
    public Dictionary<string, Dictionary<string, object?>> Flavors { get; } = new(StringComparer.Ordinal);

    public ModelSignature? Signature { get; set; }

    public InputExampleInfo? SavedInputExampleInfo { get; set; }

    public long? ModelSizeBytes { get; set; }

    /// <summary>The free-form <c>metadata</c> dict.</summary>
    public Dictionary<string, object?>? Metadata { get; set; }

    /// <summary>Keys this type does not model (<c>resources</c>, <c>env_vars</c>, <c>databricks_runtime</c>, …), kept as read.</summary>
    public Dictionary<string, object?> AdditionalFields { get; } = new(StringComparer.Ordinal);

    public bool HasFlavor(string name) => Flavors.ContainsKey(name);

    /// <summary>A string setting of a flavor (e.g. <c>onnx</c> → <c>data</c>), or null when absent.</summary>
    public string? GetFlavorString(string flavor, string key) =>
        Flavors.TryGetValue(flavor, out var config) && config.TryGetValue(key, out var value) && value is not null
            ? Convert.ToString(value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>Reads <c>MLmodel</c> from a model folder (or the file itself).</summary>
    public static ModelManifest Load(string modelDirectoryOrFile)
    {
        ArgumentNullException.ThrowIfNull(modelDirectoryOrFile);
        var path = Directory.Exists(modelDirectoryOrFile) ? Path.Combine(modelDirectoryOrFile, FileName) : modelDirectoryOrFile;
        if (!File.Exists(path))
        {
            throw Directory.Exists(modelDirectoryOrFile)
                ? KeelException.NotFound($"The folder '{modelDirectoryOrFile}' has no {FileName} file; an MLflow model folder has one at its root.")
                : KeelException.NotFound($"Model '{modelDirectoryOrFile}' does not exist.");
        }

        return Parse(File.ReadAllText(path));
    }

    /// <summary>Writes <c>MLmodel</c> into the folder, replacing one that is there.</summary>
    public void Save(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        Directory.CreateDirectory(modelDirectory);
        File.WriteAllText(Path.Combine(modelDirectory, FileName), ToYaml());
    }
}
