using System.Globalization;
using Keel.Core.Errors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Keel.Serving.Predictors;

// Graph outputs → PredictionTensor. Tensors are copied out of ONNX Runtime's memory (the OrtValues
// are disposed when Run's result is). Small integer types widen to int32/int64. A sequence of maps,
// which skl2onnx's ZipMap produces for classifier probabilities, becomes a float [N, classes] matrix
// whose slot names are the map keys.
internal sealed partial class OnnxPredictor
{
    /// <summary>
    /// An output Keel allocates before the call: numeric, with a dynamic first (row) dimension and
    /// fixed others, so that N input rows give an [N, ...] array ONNX Runtime writes into. It saves
    /// ONNX Runtime's allocation, the OrtValue wrappers of its results and the copy out of them
    /// (about 1.2 µs of a 5–6 µs call on iris_forest, docs/benchmarks.md).
    /// </summary>
    private sealed record OutputPlan(string Name, TensorElementType Type, long[] Tail, int Width);

    private static OutputPlan[]? PlanOutputs(InferenceSession session, string[] names)
    {
        var plans = new OutputPlan[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var metadata = session.OutputMetadata[names[i]];
            if (metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR
                || metadata.ElementDataType is not (TensorElementType.Float or TensorElementType.Double or TensorElementType.Int64 or TensorElementType.Int32)
                || metadata.Dimensions is not { Length: >= 1 } dims || dims[0] > 0 || dims.Skip(1).Any(d => d <= 0))
            {
                return null;
            }

            long[] tail = [.. dims.Skip(1).Select(d => (long)d)];
            plans[i] = new OutputPlan(names[i], metadata.ElementDataType, tail, checked((int)tail.Aggregate(1L, (a, d) => a * d)));
        }

        return plans;
    }

    /// <summary>
    /// Runs the graph into arrays Keel allocated; null when that call failed, after which the caller
    /// runs it again the ordinary way: if that succeeds, the graph's outputs are not the shapes it
    /// declares and the plans are dropped; if it fails too, the input was at fault and they stay.
    /// </summary>
    private PredictionResult? TryRunInto(OutputPlan[] plans, OrtValue[] feeds, int rows)
    {
        var arrays = new Array[plans.Length];
        var shapes = new long[plans.Length][];
        var values = new OrtValue[plans.Length];
        try
        {
            for (var i = 0; i < plans.Length; i++)
            {
                var plan = plans[i];
                var shape = shapes[i] = new long[plan.Tail.Length + 1];
                shape[0] = rows;
                plan.Tail.CopyTo(shape, 1);
                var size = checked(rows * plan.Width);
                (arrays[i], values[i]) = plan.Type switch
                {
                    TensorElementType.Float => Allocate<float>(size, shape),
                    TensorElementType.Double => Allocate<double>(size, shape),
                    TensorElementType.Int64 => Allocate<long>(size, shape),
                    _ => Allocate<int>(size, shape),
                };
            }

            try
            {
                _session.Run(_runOptions, _inputNames, feeds, _outputNames, values);
            }
            catch (OnnxRuntimeException)
            {
                return null;
            }
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }
        }

        var outputs = new PredictionTensor[plans.Length];
        for (var i = 0; i < plans.Length; i++)
        {
            outputs[i] = new PredictionTensor(plans[i].Name, arrays[i], shapes[i]);
        }

        return new PredictionResult(outputs);
    }

    private static (Array, OrtValue) Allocate<T>(int size, long[] shape)
        where T : unmanaged
    {
        var data = new T[size];
        return (data, OrtValue.CreateTensorValueFromMemory(data, shape));
    }

    private static PredictionTensor ToTensor(string name, OrtValue value)
    {
        if (value.IsTensor)
        {
            var info = value.GetTensorTypeAndShape();
            Array data = info.ElementDataType switch
            {
                TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
                TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
                TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
                TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray(),
                TensorElementType.Bool => value.GetTensorDataAsSpan<bool>().ToArray(),
                TensorElementType.String => value.GetStringTensorAsArray(),
                TensorElementType.Int16 => Widen(value.GetTensorDataAsSpan<short>(), v => (int)v),
                TensorElementType.UInt16 => Widen(value.GetTensorDataAsSpan<ushort>(), v => (int)v),
                TensorElementType.Int8 => Widen(value.GetTensorDataAsSpan<sbyte>(), v => (int)v),
                TensorElementType.UInt8 => Widen(value.GetTensorDataAsSpan<byte>(), v => (int)v),
                TensorElementType.UInt32 => Widen(value.GetTensorDataAsSpan<uint>(), v => (long)v),
                TensorElementType.UInt64 => Widen(value.GetTensorDataAsSpan<ulong>(), v => unchecked((long)v)),
                _ => throw new KeelException(
                    ErrorCode.BAD_REQUEST,
                    $"ONNX output '{name}' has element type {info.ElementDataType}, which Keel does not read; cast it to float or int64 in the graph."),
            };
            return new PredictionTensor(name, data, info.Shape);
        }

        if (value.OnnxType == OnnxValueType.ONNX_TYPE_SEQUENCE)
        {
            return FromSequenceOfMaps(name, value);
        }

        throw new KeelException(
            ErrorCode.BAD_REQUEST,
            $"ONNX output '{name}' is a {value.OnnxType}; Keel reads tensors and sequences of maps (ZipMap).");
    }

    private static PredictionTensor FromSequenceOfMaps(string name, OrtValue sequence)
    {
        var allocator = OrtAllocator.DefaultInstance;
        var rows = sequence.GetValueCount();
        string[]? classes = null;
        float[] data = [];
        for (var row = 0; row < rows; row++)
        {
            using var map = sequence.GetValue(row, allocator);
            if (map.OnnxType != OnnxValueType.ONNX_TYPE_MAP)
            {
                throw new KeelException(
                    ErrorCode.BAD_REQUEST,
                    $"ONNX output '{name}' is a sequence of {map.OnnxType}; Keel reads sequences of maps (ZipMap) only.");
            }

            using var keys = map.GetValue(0, allocator);
            using var values = map.GetValue(1, allocator);
            var keyType = keys.GetTensorTypeAndShape().ElementDataType;
            string[] rowClasses = keyType == TensorElementType.String
                ? keys.GetStringTensorAsArray()
                : [.. keys.GetTensorDataAsSpan<long>().ToArray().Select(k => k.ToString(CultureInfo.InvariantCulture))];
            var scores = values.GetTensorTypeAndShape().ElementDataType == TensorElementType.Double
                ? [.. values.GetTensorDataAsSpan<double>().ToArray().Select(v => (float)v)]
                : values.GetTensorDataAsSpan<float>().ToArray();
            if (classes is null)
            {
                classes = rowClasses;
                data = new float[rows * classes.Length];
            }
            else if (!classes.SequenceEqual(rowClasses, StringComparer.Ordinal))
            {
                throw new KeelException(
                    ErrorCode.BAD_REQUEST,
                    $"ONNX output '{name}' has different classes in row {row} than in row 0; a ZipMap output names the same classes in every row.");
            }

            scores.CopyTo(data, row * classes.Length);
        }

        return new PredictionTensor(name, data, [rows, classes?.Length ?? 0], classes);
    }

    private static TOut[] Widen<TIn, TOut>(ReadOnlySpan<TIn> values, Func<TIn, TOut> convert)
    {
        var result = new TOut[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = convert(values[i]);
        }

        return result;
    }
}
