namespace Keel.Tabular;

/// <summary>File formats <see cref="TableReader"/> reads.</summary>
public enum TableFormat
{
    Csv,
    Parquet,
}
