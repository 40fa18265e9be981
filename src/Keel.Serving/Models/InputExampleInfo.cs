namespace Keel.Serving.Models;

/// <summary>
/// The MLmodel <c>saved_input_example_info</c> block: where the input example is and how to read it
/// (<c>type: dataframe</c> with <c>pandas_orient: split</c>, or <c>ndarray</c>, <c>json_object</c>, …).
/// </summary>
public sealed class InputExampleInfo
{
    public const string DefaultArtifactPath = "input_example.json";
    public const string DefaultServingInputPath = "serving_input_example.json";

    public string? ArtifactPath { get; set; }

    public string? Type { get; set; }

    public string? PandasOrient { get; set; }

    public string? ServingInputPath { get; set; }

    /// <summary>Keys this type does not know (e.g. <c>format: tf-serving</c>), written back as they came.</summary>
    public Dictionary<string, object?> AdditionalFields { get; } = new(StringComparer.Ordinal);
}
