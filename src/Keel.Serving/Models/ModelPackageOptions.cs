using Keel.Tabular;

namespace Keel.Serving.Models;

/// <summary>What <see cref="ModelPackager"/> writes into the MLmodel file besides the model itself.</summary>
public sealed class ModelPackageOptions
{
    public static ModelPackageOptions Default { get; } = new();

    /// <summary>The run that produced the model (<c>run_id</c>); omitted when null.</summary>
    public string? RunId { get; init; }

    /// <summary>The model's path in the run's artifacts (2.x, e.g. <c>model</c>) or its artifact URI (3.x).</summary>
    public string? ArtifactPath { get; init; }

    /// <summary>The 3.x LoggedModel id (<c>m-…</c>); when set it is also the <c>model_uuid</c>, as MLflow 3 writes it.</summary>
    public string? ModelId { get; init; }

    /// <summary>The <c>mlflow_version</c> to record; omitted when null (Keel is not an MLflow client release).</summary>
    public string? MlflowVersion { get; init; }

    /// <summary>A signature to write instead of the one derived from the model.</summary>
    public ModelSignature? Signature { get; init; }

    /// <summary>A few input rows, written as input_example.json (pandas split orient) and serving_input_example.json.</summary>
    public Table? InputExample { get; init; }

    /// <summary>The free-form <c>metadata</c> dict.</summary>
    public Dictionary<string, object?>? Metadata { get; init; }

    /// <summary>
    /// ML.NET only: the training label column of the input schema. A pipeline may read it (e.g.
    /// MapValueToKey) though a prediction does not need it; it is written as an optional input and
    /// filled with missing values when a prediction's input lacks it.
    /// </summary>
    public string? LabelColumnName { get; init; }
}
