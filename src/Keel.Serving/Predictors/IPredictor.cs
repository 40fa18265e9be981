using Keel.Serving.Models;
using Keel.Tabular;

namespace Keel.Serving.Predictors;

/// <summary>
/// A loaded model that predicts in process. <see cref="Predict"/> may be called from several threads
/// at once; dispose the predictor when the model is unloaded.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <summary>The flavor that runs the model: <c>onnx</c> or <c>mlnet</c>.</summary>
    string Flavor { get; }

    /// <summary>The MLmodel file the model was loaded from.</summary>
    ModelManifest Manifest { get; }

    /// <summary>The MLmodel signature, or one derived from the model itself when the file has none.</summary>
    ModelSignature Signature { get; }

    /// <summary>Predicts every row of the table; a missing or mistyped input column is a KeelException naming it.</summary>
    PredictionResult Predict(Table input);
}
