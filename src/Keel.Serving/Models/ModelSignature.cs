namespace Keel.Serving.Models;

/// <summary>
/// What a model takes and returns (reference §8 <c>signature</c>). In the MLmodel file each part is a
/// JSON string; <see cref="ModelManifest"/> reads and writes them through <see cref="Schema.Parse"/>
/// and <see cref="Schema.ToJson"/>.
/// </summary>
public sealed class ModelSignature
{
    public ModelSignature(Schema? inputs, Schema? outputs = null, ParamSchema? parameters = null)
    {
        Inputs = inputs;
        Outputs = outputs;
        Params = parameters;
    }

    public Schema? Inputs { get; }

    public Schema? Outputs { get; }

    public ParamSchema? Params { get; }

    public override string ToString() => $"inputs: {Inputs?.ToJson() ?? "null"}; outputs: {Outputs?.ToJson() ?? "null"}";
}
