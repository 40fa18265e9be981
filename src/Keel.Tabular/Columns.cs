using System.Globalization;
using Keel.Core.Errors;

namespace Keel.Tabular;

/// <summary>64-bit floating point values; NaN is missing.</summary>
public sealed class DoubleColumn : Column
{
    public DoubleColumn(string name, double[] values)
        : base(name, ColumnType.Double, values.Length) => Values = values;

    public double[] Values { get; }

    public override bool IsMissing(int row) => double.IsNaN(Values[row]);

    public override object? GetValue(int row) => IsMissing(row) ? null : Values[row];

    public override double GetDouble(int row) => Values[row];

    public override string? GetString(int row) => IsMissing(row) ? null : Format(Values[row]);

    public override double[] ToDoubles() => (double[])Values.Clone();

    public override Column Rename(string name) => new DoubleColumn(name, Values);
}

/// <summary>32-bit floating point values; NaN is missing.</summary>
public sealed class FloatColumn : Column
{
    public FloatColumn(string name, float[] values)
        : base(name, ColumnType.Float, values.Length) => Values = values;

    public float[] Values { get; }

    public override bool IsMissing(int row) => float.IsNaN(Values[row]);

    public override object? GetValue(int row) => IsMissing(row) ? null : Values[row];

    public override double GetDouble(int row) => Values[row];

    public override string? GetString(int row) => IsMissing(row) ? null : Format(Values[row]);

    public override Column Rename(string name) => new FloatColumn(name, Values);
}

/// <summary>64-bit integers with an optional missing mask (true = missing).</summary>
public sealed class Int64Column : Column
{
    public Int64Column(string name, long[] values, bool[]? missing = null)
        : base(name, ColumnType.Int64, values.Length)
    {
        Values = values;
        Missing = MissingMask.Check(name, values.Length, missing);
    }

    public long[] Values { get; }

    /// <summary>Null when no value is missing.</summary>
    public bool[]? Missing { get; }

    public override bool IsMissing(int row) => Missing is not null && Missing[row];

    public override object? GetValue(int row) => IsMissing(row) ? null : Values[row];

    public override double GetDouble(int row) => IsMissing(row) ? double.NaN : Values[row];

    public override string? GetString(int row) => IsMissing(row) ? null : Values[row].ToString(CultureInfo.InvariantCulture);

    public override Column Rename(string name) => new Int64Column(name, Values, Missing);
}

/// <summary>32-bit integers with an optional missing mask (true = missing).</summary>
public sealed class Int32Column : Column
{
    public Int32Column(string name, int[] values, bool[]? missing = null)
        : base(name, ColumnType.Int32, values.Length)
    {
        Values = values;
        Missing = MissingMask.Check(name, values.Length, missing);
    }

    public int[] Values { get; }

    /// <summary>Null when no value is missing.</summary>
    public bool[]? Missing { get; }

    public override bool IsMissing(int row) => Missing is not null && Missing[row];

    public override object? GetValue(int row) => IsMissing(row) ? null : Values[row];

    public override double GetDouble(int row) => IsMissing(row) ? double.NaN : Values[row];

    public override string? GetString(int row) => IsMissing(row) ? null : Values[row].ToString(CultureInfo.InvariantCulture);

    public override Column Rename(string name) => new Int32Column(name, Values, Missing);
}

/// <summary>Booleans with an optional missing mask (true = missing); as numbers they are 0 and 1.</summary>
public sealed class BooleanColumn : Column
{
    public BooleanColumn(string name, bool[] values, bool[]? missing = null)
        : base(name, ColumnType.Boolean, values.Length)
    {
        Values = values;
        Missing = MissingMask.Check(name, values.Length, missing);
    }

    public bool[] Values { get; }

    /// <summary>Null when no value is missing.</summary>
    public bool[]? Missing { get; }

    public override bool IsMissing(int row) => Missing is not null && Missing[row];

    public override object? GetValue(int row) => IsMissing(row) ? null : Values[row];

    public override double GetDouble(int row) => IsMissing(row) ? double.NaN : Values[row] ? 1 : 0;

    public override string? GetString(int row) => IsMissing(row) ? null : Format(Values[row]);

    public override Column Rename(string name) => new BooleanColumn(name, Values, Missing);
}

/// <summary>Text values; null is missing.</summary>
public sealed class StringColumn : Column
{
    public StringColumn(string name, string?[] values)
        : base(name, ColumnType.String, values.Length) => Values = values;

    public string?[] Values { get; }

    public override bool IsMissing(int row) => Values[row] is null;

    public override object? GetValue(int row) => Values[row];

    public override double GetDouble(int row) => throw NotNumeric();

    public override string? GetString(int row) => Values[row];

    public override string?[] ToStrings() => (string?[])Values.Clone();

    public override Column Rename(string name) => new StringColumn(name, Values);
}

internal static class MissingMask
{
    /// <summary>The mask, or null when it marks nothing, so "no missing values" has one representation.</summary>
    public static bool[]? Check(string name, int length, bool[]? missing)
    {
        if (missing is null)
        {
            return null;
        }

        if (missing.Length != length)
        {
            throw KeelException.Invalid(
                $"Column '{name}' has {length} values but a missing mask of {missing.Length}; they must be the same length.");
        }

        return Array.IndexOf(missing, true) < 0 ? null : missing;
    }
}
