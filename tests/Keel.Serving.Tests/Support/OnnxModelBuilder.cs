using System.Text;

namespace Keel.Serving.Tests.Support;

/// <summary>
/// Writes small ONNX models (ModelProto, onnx.proto field numbers) so tests can run graphs the
/// shared fixtures do not have: ZipMap outputs, string/int64/bool/double inputs, and (for
/// bench/Keel.Benchmarks, which compiles this file too) a dense network with float weights. Only
/// what those need; the encoding is plain protobuf.
/// </summary>
internal sealed class OnnxModelBuilder
{
    // TensorProto.DataType values.
    public const int Float = 1;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int String = 8;
    public const int Bool = 9;
    public const int Double = 11;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly List<byte[]> _initializers = [];

    /// <summary>A tensor input; a dimension of -1 is the symbolic batch dimension N.</summary>
    public OnnxModelBuilder Input(string name, int elementType, params long[] dims)
    {
        _inputs.Add(ValueInfo(name, TensorType(elementType, dims)));
        return this;
    }

    public OnnxModelBuilder Output(string name, int elementType, params long[] dims)
    {
        _outputs.Add(ValueInfo(name, TensorType(elementType, dims)));
        return this;
    }

    /// <summary>A sequence(map(key, value)) output, what ZipMap produces.</summary>
    public OnnxModelBuilder SequenceOfMapsOutput(string name, int keyType, int valueType)
    {
        var map = new Proto().Varint(1, keyType).Message(2, TensorType(valueType));
        var sequence = new Proto().Message(1, new Proto().Message(5, map.Bytes()).Bytes());
        _outputs.Add(ValueInfo(name, new Proto().Message(4, sequence.Bytes()).Bytes()));
        return this;
    }

    public OnnxModelBuilder Node(string opType, string[] inputs, string[] outputs, string domain = "", params byte[][] attributes)
    {
        var node = new Proto();
        foreach (var input in inputs)
        {
            node.Text(1, input);
        }

        foreach (var output in outputs)
        {
            node.Text(2, output);
        }

        node.Text(3, $"{opType}_{_nodes.Count}").Text(4, opType);
        foreach (var attribute in attributes)
        {
            node.Message(5, attribute);
        }

        if (domain.Length > 0)
        {
            node.Text(7, domain);
        }

        _nodes.Add(node.Bytes());
        return this;
    }

    /// <summary>A constant int64 tensor of one dimension (e.g. the shape a Reshape takes).</summary>
    public OnnxModelBuilder Initializer(string name, params long[] values)
    {
        var tensor = new Proto().Varint(1, values.Length).Varint(2, Int64);
        foreach (var value in values)
        {
            tensor.Varint(7, value);
        }

        _initializers.Add(tensor.Text(8, name).Bytes());
        return this;
    }

    /// <summary>A constant float tensor of the given dimensions (weights), stored as raw little-endian bytes.</summary>
    public OnnxModelBuilder FloatInitializer(string name, float[] values, params long[] dims)
    {
        var tensor = new Proto();
        foreach (var dim in dims)
        {
            tensor.Varint(1, dim);
        }

        var raw = new byte[values.Length * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(raw);
        _initializers.Add(tensor.Varint(2, Float).Text(8, name).Message(9, raw).Bytes());
        return this;
    }

    public static byte[] IntAttribute(string name, long value) => new Proto().Text(1, name).Varint(3, value).Varint(20, 2).Bytes();

    public static byte[] StringsAttribute(string name, params string[] values)
    {
        var attribute = new Proto().Text(1, name);
        foreach (var value in values)
        {
            attribute.Text(9, value);
        }

        return attribute.Varint(20, 8).Bytes();
    }

    public static byte[] IntsAttribute(string name, params long[] values)
    {
        var attribute = new Proto().Text(1, name);
        foreach (var value in values)
        {
            attribute.Varint(8, value);
        }

        return attribute.Varint(20, 7).Bytes();
    }

    public byte[] Build()
    {
        var graph = new Proto();
        foreach (var node in _nodes)
        {
            graph.Message(1, node);
        }

        graph.Text(2, "test_graph");
        foreach (var initializer in _initializers)
        {
            graph.Message(5, initializer);
        }

        foreach (var input in _inputs)
        {
            graph.Message(11, input);
        }

        foreach (var output in _outputs)
        {
            graph.Message(12, output);
        }

        return new Proto()
            .Varint(1, 8)
            .Text(2, "keel-tests")
            .Message(7, graph.Bytes())
            .Message(8, new Proto().Varint(2, 13).Bytes())
            .Message(8, new Proto().Text(1, "ai.onnx.ml").Varint(2, 1).Bytes())
            .Bytes();
    }

    private static byte[] ValueInfo(string name, byte[] type) => new Proto().Text(1, name).Message(2, type).Bytes();

    private static byte[] TensorType(int elementType, params long[] dims)
    {
        var tensor = new Proto().Varint(1, elementType);
        if (dims.Length > 0)
        {
            var shape = new Proto();
            foreach (var dim in dims)
            {
                shape.Message(1, dim < 0 ? new Proto().Text(2, "N").Bytes() : new Proto().Varint(1, dim).Bytes());
            }

            tensor.Message(2, shape.Bytes());
        }

        return new Proto().Message(1, tensor.Bytes()).Bytes();
    }

    private sealed class Proto
    {
        private readonly MemoryStream _buffer = new();

        public Proto Varint(int field, long value)
        {
            Key(field, 0);
            Raw((ulong)value);
            return this;
        }

        public Proto Text(int field, string value) => Message(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, byte[] value)
        {
            Key(field, 2);
            Raw((ulong)value.Length);
            _buffer.Write(value);
            return this;
        }

        public byte[] Bytes() => _buffer.ToArray();

        private void Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _buffer.WriteByte((byte)value);
        }
    }
}
