namespace Keel.Tabular;

/// <summary>The element types a <see cref="Column"/> (and a prediction output) can hold.</summary>
public enum ColumnType
{
    Double,
    Float,
    Int64,
    Int32,
    Boolean,
    String,
}
