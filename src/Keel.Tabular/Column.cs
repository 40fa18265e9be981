using System.Globalization;
using Keel.Core.Errors;

namespace Keel.Tabular;

/// <summary>
/// One named, typed column of a <see cref="Table"/>. Missing values: NaN in <see cref="DoubleColumn"/>
/// and <see cref="FloatColumn"/>, null in <see cref="StringColumn"/>, and a missing mask beside the
/// values of <see cref="Int64Column"/>, <see cref="Int32Column"/> and <see cref="BooleanColumn"/>
/// (whose value at a missing row is the type's default and means nothing).
/// </summary>
public abstract class Column
{
    private protected Column(string name, ColumnType type, int length)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Type = type;
        Length = length;
    }

    public string Name { get; }

    public ColumnType Type { get; }

    public int Length { get; }

    /// <summary>Double, float and integer columns; booleans and strings are not numeric.</summary>
    public bool IsNumeric => Type is ColumnType.Double or ColumnType.Float or ColumnType.Int64 or ColumnType.Int32;

    /// <summary>How many rows hold no value.</summary>
    public int MissingCount
    {
        get
        {
            var count = 0;
            for (var row = 0; row < Length; row++)
            {
                count += IsMissing(row) ? 1 : 0;
            }

            return count;
        }
    }

    public abstract bool IsMissing(int row);

    /// <summary>The value boxed as double, float, long, int, bool or string; null when missing.</summary>
    public abstract object? GetValue(int row);

    /// <summary>The value as a double (booleans as 0 and 1); NaN when missing. Strings throw.</summary>
    public abstract double GetDouble(int row);

    /// <summary>The value as invariant text (<c>true</c>/<c>false</c> for booleans); null when missing.</summary>
    public abstract string? GetString(int row);

    /// <summary>The same values under another name.</summary>
    public abstract Column Rename(string name);

    /// <summary>Every value as a double, missing as NaN; a string column throws a KeelException naming it.</summary>
    public virtual double[] ToDoubles()
    {
        var values = new double[Length];
        for (var row = 0; row < Length; row++)
        {
            values[row] = GetDouble(row);
        }

        return values;
    }

    /// <summary>Every value as invariant text, missing as null.</summary>
    public virtual string?[] ToStrings()
    {
        var values = new string?[Length];
        for (var row = 0; row < Length; row++)
        {
            values[row] = GetString(row);
        }

        return values;
    }

    public override string ToString() => $"{Name} ({Type.ToString().ToLowerInvariant()}, {Length} rows)";

    public static DoubleColumn Create(string name, double[] values) => new(name, values);

    public static FloatColumn Create(string name, float[] values) => new(name, values);

    public static Int64Column Create(string name, long[] values, bool[]? missing = null) => new(name, values, missing);

    public static Int32Column Create(string name, int[] values, bool[]? missing = null) => new(name, values, missing);

    public static BooleanColumn Create(string name, bool[] values, bool[]? missing = null) => new(name, values, missing);

    public static StringColumn Create(string name, string?[] values) => new(name, values);

    public static Int64Column Create(string name, long?[] values)
    {
        var (data, missing) = Unwrap(values);
        return new(name, data, missing);
    }

    public static Int32Column Create(string name, int?[] values)
    {
        var (data, missing) = Unwrap(values);
        return new(name, data, missing);
    }

    public static BooleanColumn Create(string name, bool?[] values)
    {
        var (data, missing) = Unwrap(values);
        return new(name, data, missing);
    }

    /// <summary>Shortest text that parses back to the same double; what <see cref="GetString"/> writes.</summary>
    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string Format(bool value) => value ? "true" : "false";

    private protected KeelException NotNumeric() =>
        KeelException.Invalid($"Column '{Name}' holds strings; a number was expected.");

    private static (T[] Values, bool[]? Missing) Unwrap<T>(T?[] values)
        where T : struct
    {
        var data = new T[values.Length];
        bool[]? missing = null;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is { } value)
            {
                data[i] = value;
            }
            else
            {
                missing ??= new bool[values.Length];
                missing[i] = true;
            }
        }

        return (data, missing);
    }
}
