using Keel.Core.Errors;
using Keel.Serving.Internal;
using Keel.Serving.Predictors;
using Microsoft.ML.OnnxRuntime;

namespace Keel.Serving.Models;

public sealed partial class ModelPackager
{
    /// <summary>The file name of the model inside an ONNX model folder, as mlflow.onnx names it.</summary>
    public const string OnnxFileName = "model.onnx";

    /// <summary>
    /// Saves an ONNX file as an MLflow model folder: <c>model.onnx</c> and an MLmodel with the
    /// <c>onnx</c> flavor {onnx_version, data, providers, code} and the <c>python_function</c> flavor
    /// (loader <c>mlflow.onnx</c>), and a tensor signature read from the graph by ONNX Runtime.
    /// </summary>
    public ModelManifest SaveOnnx(string onnxPath, string modelDirectory, ModelPackageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(onnxPath);
        if (!File.Exists(onnxPath))
        {
            throw KeelException.NotFound($"ONNX file '{onnxPath}' does not exist.");
        }

        return Guarded(modelDirectory, () =>
        {
            var target = Path.Combine(modelDirectory, OnnxFileName);

            // A stream copy, not File.Copy: the model's file must not inherit a read-only source's mode.
            using (var source = File.OpenRead(onnxPath))
            using (var file = File.Create(target))
            {
                source.CopyTo(file);
            }

            return WriteOnnx(modelDirectory, target, options ?? ModelPackageOptions.Default);
        });
    }

    /// <summary>Saves an ONNX model held in memory; see <see cref="SaveOnnx(string, string, ModelPackageOptions?)"/>.</summary>
    public ModelManifest SaveOnnx(ReadOnlyMemory<byte> onnxModel, string modelDirectory, ModelPackageOptions? options = null)
    {
        if (onnxModel.IsEmpty)
        {
            throw KeelException.Invalid("The ONNX model is empty; pass the bytes of a .onnx file.");
        }

        return Guarded(modelDirectory, () =>
        {
            var target = Path.Combine(modelDirectory, OnnxFileName);
            using (var file = File.Create(target))
            {
                file.Write(onnxModel.Span);
            }

            return WriteOnnx(modelDirectory, target, options ?? ModelPackageOptions.Default);
        });
    }

    private ModelManifest WriteOnnx(string modelDirectory, string onnxFile, ModelPackageOptions options)
    {
        ModelSignature signature;
        try
        {
            // Opening the session checks the file is a model ONNX Runtime can run, not only a file.
            _ = OnnxRuntimeEnvironment.Instance;
            using var session = new InferenceSession(onnxFile);
            signature = options.Signature ?? OnnxGraph.Signature(session);
        }
        catch (OnnxRuntimeException ex)
        {
            throw KeelException.Invalid($"The ONNX model cannot be loaded by ONNX Runtime: {ex.Message}");
        }

        var manifest = new ModelManifest { Signature = signature };
        manifest.Flavors[ModelFlavors.Onnx] = new(StringComparer.Ordinal)
        {
            ["onnx_version"] = OnnxGraph.OnnxReleaseForIrVersion(Head(onnxFile)),
            ["data"] = OnnxFileName,
            ["providers"] = new List<object?> { "CPUExecutionProvider" },
            ["code"] = null,
        };
        manifest.Flavors[ModelFlavors.PythonFunction] = new(StringComparer.Ordinal)
        {
            ["loader_module"] = "mlflow.onnx",
            ["data"] = OnnxFileName,
        };
        return Finish(modelDirectory, manifest, options);
    }

    /// <summary>The start of the file, where serializers put ModelProto's ir_version (field 1).</summary>
    private static byte[] Head(string path)
    {
        using var file = File.OpenRead(path);
        var buffer = new byte[(int)Math.Min(file.Length, 4096)];
        file.ReadExactly(buffer);
        return buffer;
    }
}
