using Keel.Tabular;

namespace Keel.Client.Models;

/// <summary>What <see cref="KeelClient.LogModelAsync"/> and <see cref="KeelClient.LogOnnxModelAsync"/> may add to a model.</summary>
public sealed class LogModelOptions
{
    /// <summary>Registers the logged model as a new version of this registered model (created when missing).</summary>
    public string? RegisteredModelName { get; init; }

    /// <summary>A few input rows stored beside the model (<c>input_example.json</c>, pandas split orient).</summary>
    public Table? InputExample { get; init; }

    /// <summary>ML.NET: the training label column, which the model's input schema carries but prediction does not need.</summary>
    public string? LabelColumnName { get; init; }

    /// <summary>Free-form metadata written to the MLmodel file.</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get; init; }
}

/// <summary>A model logged to a run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="ArtifactPath">The model folder inside the run's artifacts.</param>
/// <param name="ModelUri"><c>runs:/RUN_ID/ARTIFACT_PATH</c>.</param>
/// <param name="Flavor"><c>onnx</c> or <c>mlnet</c>.</param>
/// <param name="SignatureInputs">The signature's inputs as MLflow JSON, if any.</param>
/// <param name="SignatureOutputs">The signature's outputs as MLflow JSON, if any.</param>
/// <param name="RegisteredVersion">The registry version created for it, when a registered model name was given.</param>
public sealed record LoggedModel(
    string RunId,
    string ArtifactPath,
    string ModelUri,
    string Flavor,
    string? SignatureInputs,
    string? SignatureOutputs,
    ModelVersion? RegisteredVersion);
