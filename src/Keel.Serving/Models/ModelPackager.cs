using System.Text.Json.Nodes;
using Keel.Core.Errors;
using Keel.Serving.Internal;
using Keel.Tabular;

namespace Keel.Serving.Models;

/// <summary>
/// Writes MLflow model folders: the model file, its <c>MLmodel</c> (flavors, signature derived from
/// the model, provenance, size) and optionally an input example. An ONNX folder also carries the
/// <c>python_function</c> flavor, so MLflow's own Python client loads it too.
/// </summary>
public sealed partial class ModelPackager
{
    private readonly TimeProvider _timeProvider;

    public ModelPackager(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Creates the folder (or takes an empty one): MLflow refuses to save over an existing model,
    /// and so does Keel. Returns whether it was created, so a failed save can remove it again.
    /// </summary>
    private static bool PrepareDirectory(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        if (File.Exists(modelDirectory))
        {
            throw new KeelException(ErrorCode.RESOURCE_ALREADY_EXISTS, $"Cannot save a model to '{modelDirectory}': it is a file.");
        }

        if (Directory.Exists(modelDirectory))
        {
            if (Directory.EnumerateFileSystemEntries(modelDirectory).Any())
            {
                throw new KeelException(
                    ErrorCode.RESOURCE_ALREADY_EXISTS,
                    $"Cannot save a model to '{modelDirectory}': the folder already exists and is not empty.");
            }

            return false;
        }

        Directory.CreateDirectory(modelDirectory);
        return true;
    }

    /// <summary>Runs the save; on failure removes what it wrote, so no half-written model is left behind.</summary>
    private static ModelManifest Guarded(string modelDirectory, Func<ModelManifest> save)
    {
        var created = PrepareDirectory(modelDirectory);
        try
        {
            return save();
        }
        catch
        {
            if (created)
            {
                Directory.Delete(modelDirectory, recursive: true);
            }
            else
            {
                foreach (var entry in new DirectoryInfo(modelDirectory).EnumerateFileSystemInfos())
                {
                    if (entry is DirectoryInfo folder)
                    {
                        folder.Delete(recursive: true);
                    }
                    else
                    {
                        entry.Delete();
                    }
                }
            }

            throw;
        }
    }

    /// <summary>Fills in provenance, the input example and the size, then writes MLmodel.</summary>
    private ModelManifest Finish(string modelDirectory, ModelManifest manifest, ModelPackageOptions options)
    {
        var now = _timeProvider.GetUtcNow().UtcDateTime;

        // MLflow records microseconds; a tick is a tenth of one.
        manifest.UtcTimeCreated = new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc);
        manifest.ArtifactPath = options.ArtifactPath;
        manifest.RunId = options.RunId;
        manifest.ModelId = options.ModelId;
        manifest.ModelUuid = options.ModelId ?? Guid.NewGuid().ToString("N");
        manifest.MlflowVersion = options.MlflowVersion;
        manifest.Metadata = options.Metadata;
        if (options.InputExample is { } example)
        {
            manifest.SavedInputExampleInfo = WriteInputExample(modelDirectory, example);
        }

        manifest.ModelSizeBytes = ModelFiles.Size(modelDirectory);
        manifest.Save(modelDirectory);
        return manifest;
    }

    /// <summary>
    /// input_example.json in pandas "split" orient without the index (<c>{"columns": [...], "data": [[...]]}</c>),
    /// and serving_input_example.json, a ready <c>/invocations</c> body (<c>{"dataframe_split": ...}</c>),
    /// both as Python's json module writes them.
    /// </summary>
    private static InputExampleInfo WriteInputExample(string modelDirectory, Table example)
    {
        if (example.ColumnCount == 0)
        {
            throw KeelException.Invalid("The input example has no columns; pass a few rows of the model's input.");
        }

        var data = new JsonArray();
        for (var row = 0; row < example.RowCount; row++)
        {
            data.Add(new JsonArray([.. example.Columns.Select(c => Cell(c, row))]));
        }

        var split = new JsonObject
        {
            ["columns"] = new JsonArray([.. example.ColumnNames.Select(n => (JsonNode)n)]),
            ["data"] = data,
        };
        File.WriteAllText(Path.Combine(modelDirectory, InputExampleInfo.DefaultArtifactPath), SignatureJson.Dumps(split));
        File.WriteAllText(
            Path.Combine(modelDirectory, InputExampleInfo.DefaultServingInputPath),
            SignatureJson.Dumps(new JsonObject { ["dataframe_split"] = split.DeepClone() }));
        return new InputExampleInfo
        {
            ArtifactPath = InputExampleInfo.DefaultArtifactPath,
            Type = "dataframe",
            PandasOrient = "split",
            ServingInputPath = InputExampleInfo.DefaultServingInputPath,
        };
    }

    private static JsonNode? Cell(Column column, int row) => column.IsMissing(row) ? null : column switch
    {
        DoubleColumn d => double.IsFinite(d.Values[row]) ? JsonValue.Create(d.Values[row]) : null,
        FloatColumn f => float.IsFinite(f.Values[row]) ? JsonValue.Create(f.Values[row]) : null,
        Int64Column l => JsonValue.Create(l.Values[row]),
        Int32Column i => JsonValue.Create(i.Values[row]),
        BooleanColumn b => JsonValue.Create(b.Values[row]),
        _ => JsonValue.Create(column.GetString(row)),
    };
}
