using Keel.Core.Errors;
using Keel.Serving.Models;

namespace Keel.Serving.Predictors;

/// <summary>
/// Loads an MLflow model folder for prediction in process. Keel runs the flavors .NET can run
/// natively (DESIGN "Model formats"): <c>onnx</c> with ONNX Runtime, preferred when a model has both,
/// and <c>mlnet</c> with ML.NET. Anything else, such as a pickled scikit-learn model, is stored and
/// downloadable but not run here; loading it says so and how to export it.
/// </summary>
public static class ModelLoader
{
    /// <summary>Reads the folder's MLmodel and loads the model with the first native flavor it has.</summary>
    public static IPredictor Load(string modelDirectory, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        if (!Directory.Exists(modelDirectory))
        {
            throw KeelException.NotFound($"Model folder '{modelDirectory}' does not exist.");
        }

        return Load(modelDirectory, ModelManifest.Load(modelDirectory), options);
    }

    /// <summary>Loads the model in the folder described by an already-read manifest.</summary>
    public static IPredictor Load(string modelDirectory, ModelManifest manifest, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        ArgumentNullException.ThrowIfNull(manifest);
        options ??= ModelLoadOptions.Default;
        if (manifest.HasFlavor(ModelFlavors.Onnx))
        {
            return OnnxPredictor.Load(modelDirectory, manifest, options);
        }

        if (manifest.HasFlavor(ModelFlavors.MlNet))
        {
            return MlNetPredictor.Load(modelDirectory, manifest);
        }

        throw UnsupportedFlavors(manifest);
    }

    /// <summary>
    /// Starts what every first load pays once per process — ONNX Runtime's native environment and
    /// the MLmodel reader — so a caller can overlap it with downloading the model's files.
    /// </summary>
    public static void WarmUp()
    {
        _ = OnnxRuntimeEnvironment.Instance;
        _ = ModelManifest.Parse(
            "artifact_path: model\nflavors:\n  onnx:\n    data: model.onnx\nsignature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 1]}}]'\n");
    }

    /// <summary>Whether <see cref="Load(string, ModelLoadOptions?)"/> can run a model with this manifest.</summary>
    public static bool CanLoad(ModelManifest manifest) => ModelFlavors.Native.Any(manifest.HasFlavor);

    private static KeelException UnsupportedFlavors(ModelManifest manifest)
    {
        var flavors = string.Join(", ", manifest.Flavors.Keys);
        var loader = manifest.GetFlavorString(ModelFlavors.PythonFunction, "loader_module");
        var origin = loader is null ? "" : $" (python_function loader '{loader}')";
        return KeelException.Invalid(
            $"The model has flavors [{flavors}]{origin}, and Keel runs 'onnx' and 'mlnet' models natively; a Python model is stored and downloadable but not served. "
            + "Export it to ONNX (for scikit-learn: skl2onnx.to_onnx(model, X[:1])) and log it with mlflow.onnx.log_model, so it has the 'onnx' flavor.");
    }
}
