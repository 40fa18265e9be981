using System.Globalization;
using System.Text;
using CsvHelper;
using Keel.Core.Errors;

namespace Keel.Tabular;

public static partial class TableReader
{
    private const NumberStyles IntegerStyle =
        NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;

    /// <summary>
    /// Reads CSV text: the first row names the columns, each column gets the narrowest type all its
    /// values fit — int64 if every value is an integer, double if every value is a number, boolean if
    /// every value is true/false (any case), string otherwise. An empty cell is missing; a column
    /// with no value at all is double (all NaN), as pandas reads it.
    /// </summary>
    public static async Task<Table> ReadCsvAsync(TextReader reader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return await ReadCsvAsync(reader, source: null, cancellationToken);
    }

    private static async Task<Table> ReadCsvAsync(Stream stream, string? source, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024, leaveOpen: true);
        return await ReadCsvAsync(reader, source, cancellationToken);
    }

    private static async Task<Table> ReadCsvAsync(TextReader reader, string? source, CancellationToken cancellationToken)
    {
        var options = new CsvReaderOptions
        {
            Separator = ',',
            HasHeader = true,
            SkipEmptyLines = true,
            TrackLineNumbers = true,
            FormatProvider = CultureInfo.InvariantCulture,
            MalformedData = CsvMalformedDataHandling.Throw,

            // Counted here, so the error can say which line and what the header has.
            FieldCountMismatch = CsvFieldCountHandling.Allow,
        };
        var where = Describe(source, "CSV");
        try
        {
            using var csv = CsvReader.Create(reader, options, leaveOpen: true);
            if (csv.Headers is not { Count: > 0 } header)
            {
                throw KeelException.Invalid($"{where} is empty: a header row with the column names is expected.");
            }

            var names = HeaderNames(header, where);
            var cells = names.Select(_ => new List<string?>()).ToArray();
            while (await csv.ReadAsync(cancellationToken))
            {
                if (csv.FieldCount != names.Length)
                {
                    throw KeelException.Invalid(
                        $"{where} line {csv.LineNumber} has {csv.FieldCount} fields but the header has {names.Length}; every row must have one field per column.");
                }

                for (var i = 0; i < names.Length; i++)
                {
                    cells[i].Add(csv.IsEmpty(i) ? null : csv.GetString(i));
                }
            }

            return new Table(names.Select((name, i) => InferColumn(name, cells[i])));
        }
        catch (CsvFormatException ex)
        {
            throw KeelException.Invalid($"{where} is malformed at line {ex.LineNumber}: {FirstLine(ex.Message)}");
        }
    }

    private static string[] HeaderNames(IReadOnlyList<string> header, string where)
    {
        var names = new string[header.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            // pandas names a blank header cell (the index column of `to_csv()`) "Unnamed: i".
            names[i] = header[i].Length == 0 ? $"Unnamed: {i}" : header[i];
            if (!seen.Add(names[i]))
            {
                throw KeelException.Invalid($"{where} header names column '{names[i]}' twice; column names must be unique.");
            }
        }

        return names;
    }

    internal static Column InferColumn(string name, List<string?> cells)
    {
        if (cells.TrueForAll(c => c is null))
        {
            var empty = new double[cells.Count];
            Array.Fill(empty, double.NaN);
            return new DoubleColumn(name, empty);
        }

        if (cells.TrueForAll(c => c is null || long.TryParse(c, IntegerStyle, CultureInfo.InvariantCulture, out _)))
        {
            var values = new long[cells.Count];
            var missing = new bool[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                missing[i] = cells[i] is null;
                values[i] = cells[i] is { } cell ? long.Parse(cell, IntegerStyle, CultureInfo.InvariantCulture) : 0;
            }

            return new Int64Column(name, values, missing);
        }

        if (cells.TrueForAll(c => c is null || TryParseDouble(c, out _)))
        {
            var values = new double[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                values[i] = cells[i] is { } cell && TryParseDouble(cell, out var value) ? value : double.NaN;
            }

            return new DoubleColumn(name, values);
        }

        if (cells.TrueForAll(c => c is null || IsBoolean(c)))
        {
            var values = new bool[cells.Count];
            var missing = new bool[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                missing[i] = cells[i] is null;
                values[i] = string.Equals(cells[i]?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
            }

            return new BooleanColumn(name, values, missing);
        }

        return new StringColumn(name, [.. cells]);
    }

    /// <summary>Invariant numbers, plus the spellings pandas and NumPy write: nan, inf, -inf (any case).</summary>
    internal static bool TryParseDouble(string text, out double value)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        var trimmed = text.AsSpan().Trim();
        var negative = trimmed.StartsWith("-");
        var unsigned = trimmed.TrimStart("+-");
        if (unsigned.Length + 1 < trimmed.Length)
        {
            return false;
        }

        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (unsigned.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }

        return false;
    }

    private static bool IsBoolean(string text)
    {
        var trimmed = text.AsSpan().Trim();
        return trimmed.Equals("true", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
