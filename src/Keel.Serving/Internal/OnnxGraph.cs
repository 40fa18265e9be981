using Keel.Serving.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Keel.Serving.Internal;

/// <summary>What ONNX Runtime tells about a graph, in MLflow's terms.</summary>
internal static class OnnxGraph
{
    /// <summary>
    /// Tensor specs for the graph's inputs and outputs: the NumPy dtype, the shape with -1 for every
    /// dynamic (or symbolic) dimension. A ZipMap output (a sequence of maps class → probability),
    /// which Keel turns into a [N, classes] float matrix, is described as float32 [-1, -1].
    /// </summary>
    public static ModelSignature Signature(InferenceSession session) => new(
        new Schema(session.InputNames.Select(name => Spec(name, session.InputMetadata[name]))),
        new Schema(session.OutputNames.Select(name => Spec(name, session.OutputMetadata[name]))));

    public static string NumpyDtype(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Double => "float64",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        TensorElementType.Int16 => "int16",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.UInt32 => "uint32",
        TensorElementType.UInt64 => "uint64",
        TensorElementType.Bool => "bool",
        TensorElementType.Float16 => "float16",

        // MLflow describes text tensors with NumPy's object dtype.
        TensorElementType.String => "object",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The ONNX package release that introduced the file's IR version (ModelProto field 1). MLflow
    /// records <c>onnx.__version__</c> of the writer; Keel has no ONNX package, and the IR version is
    /// what that number would tell a reader about the file. Null when the bytes do not start a ModelProto.
    /// </summary>
    public static string? OnnxReleaseForIrVersion(ReadOnlySpan<byte> model)
    {
        var ir = IrVersion(model);
        return ir switch
        {
            null => null,
            <= 3 => "1.0.0",
            4 => "1.4.1",
            5 => "1.5.0",
            6 => "1.6.0",
            7 => "1.7.0",
            8 => "1.10.0",
            9 => "1.14.0",
            10 => "1.16.0",
            11 => "1.18.0",
            _ => "1.20.0",
        };
    }

    /// <summary>Field 1 (ir_version, a varint) of the top-level ModelProto, skipping the fields before it.</summary>
    internal static long? IrVersion(ReadOnlySpan<byte> model)
    {
        var position = 0;
        while (position < model.Length)
        {
            if (ReadVarint(model, ref position) is not { } key)
            {
                return null;
            }

            var field = key >> 3;
            switch (key & 7)
            {
                case 0:
                    var value = ReadVarint(model, ref position);
                    if (field == 1)
                    {
                        return (long?)value;
                    }

                    break;
                case 2:
                    if (ReadVarint(model, ref position) is not { } length || length > (ulong)(model.Length - position))
                    {
                        return null;
                    }

                    position += (int)length;
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    private static ulong? ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64 && position < bytes.Length; shift += 7)
        {
            var b = bytes[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        return null;
    }

    private static TensorSpec Spec(string name, NodeMetadata metadata)
    {
        if (metadata.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR)
        {
            return new TensorSpec(name, NumpyDtype(metadata.ElementDataType), [.. metadata.Dimensions.Select(d => d > 0 ? (long)d : -1)]);
        }

        return new TensorSpec(name, "float32", [-1, -1]);
    }
}
