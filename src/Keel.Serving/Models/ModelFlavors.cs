namespace Keel.Serving.Models;

/// <summary>Flavor names in MLmodel files (reference §8).</summary>
public static class ModelFlavors
{
    /// <summary>ONNX, run by ONNX Runtime; MLflow's <c>mlflow.onnx</c>.</summary>
    public const string Onnx = "onnx";

    /// <summary>An ML.NET model zip, run by ML.NET; Keel's own flavor.</summary>
    public const string MlNet = "mlnet";

    /// <summary>The generic Python flavor every MLflow model has.</summary>
    public const string PythonFunction = "python_function";

    /// <summary>The flavors Keel runs natively, in the order it prefers them.</summary>
    public static IReadOnlyList<string> Native { get; } = [Onnx, MlNet];
}
