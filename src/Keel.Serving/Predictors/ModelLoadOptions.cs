namespace Keel.Serving.Predictors;

/// <summary>How <see cref="ModelLoader"/> sets up the runtime of a model.</summary>
public sealed class ModelLoadOptions
{
    public static ModelLoadOptions Default { get; } = new();

    /// <summary>Threads ONNX Runtime uses inside one operator; null leaves its default (one per core).</summary>
    public int? OnnxIntraOpThreads { get; init; }
}
