using System.Text;
using Keel.Core.Errors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Testing;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Tabular;

public sealed class CsvTableReaderTests
{
    [Fact]
    public async Task Iris_csv_reads_as_four_double_features_and_an_int64_species()
    {
        var iris = await Fixtures.ReadAsync("iris.csv");

        Assert.Equal(150, iris.RowCount);
        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"], iris.ColumnNames);
        Assert.Equal([ColumnType.Double, ColumnType.Double, ColumnType.Double, ColumnType.Double, ColumnType.Int64], iris.Columns.Select(c => c.Type));
        Assert.Equal(5.1, iris.GetDoubles("sepal_length")[0]);
        Assert.Equal(2L, ((Int64Column)iris["species"]).Values[149]);
    }

    [Fact]
    public async Task Each_column_gets_the_narrowest_type_all_its_values_fit()
    {
        var table = await Read("""
            whole,real,flag,text,mixed,big
            1,1.5,true,x,1,9007199254740993
            -2,2,False,y,1.5,-9007199254740993
            +3,1e3,TRUE,3,yes,0
            """);

        Assert.Equal(
            [ColumnType.Int64, ColumnType.Double, ColumnType.Boolean, ColumnType.String, ColumnType.String, ColumnType.Int64],
            table.Columns.Select(c => c.Type));
        Assert.Equal([1L, -2L, 3L], ((Int64Column)table["whole"]).Values);
        Assert.Equal([1.5, 2, 1000], ((DoubleColumn)table["real"]).Values);
        Assert.Equal([true, false, true], ((BooleanColumn)table["flag"]).Values);
        Assert.Equal(Strings("x", "y", "3"), ((StringColumn)table["text"]).Values);
        Assert.Equal(9007199254740993L, ((Int64Column)table["big"]).Values[0]);
    }

    [Fact]
    public async Task Empty_cells_are_missing_values_of_each_type()
    {
        var table = await Read("""
            n,x,b,s,nothing
            1,,true,,
            ,2.5,,z,
            3,NaN,false,w,
            """);

        var n = Assert.IsType<Int64Column>(table["n"]);
        Assert.Equal([false, true, false], Enumerable.Range(0, 3).Select(n.IsMissing));
        Assert.Null(n.GetValue(1));
        Assert.True(double.IsNaN(n.GetDouble(1)));
        var x = Assert.IsType<DoubleColumn>(table["x"]);
        Assert.Equal([true, false, true], Enumerable.Range(0, 3).Select(x.IsMissing));
        var b = Assert.IsType<BooleanColumn>(table["b"]);
        Assert.Equal(1, b.MissingCount);
        Assert.Null(b.GetString(1));
        var s = Assert.IsType<StringColumn>(table["s"]);
        Assert.Equal(Strings(null, "z", "w"), s.Values);

        // A column with no value at all is double, all NaN, as pandas reads it.
        var nothing = Assert.IsType<DoubleColumn>(table["nothing"]);
        Assert.Equal(3, nothing.MissingCount);
    }

    [Fact]
    public async Task Nan_and_infinity_in_NumPy_spelling_are_doubles()
    {
        var table = await Read("v\n1\nnan\ninf\n-inf\nInfinity\n");

        var v = Assert.IsType<DoubleColumn>(table["v"]);
        Assert.Equal([1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity], v.Values);
    }

    [Fact]
    public async Task A_header_without_rows_is_an_empty_table_with_its_columns()
    {
        var table = await Read("a,b\n");

        Assert.Equal(0, table.RowCount);
        Assert.Equal(["a", "b"], table.ColumnNames);
    }

    [Fact]
    public async Task Quoted_fields_may_hold_commas_and_line_breaks()
    {
        var table = await Read("id,note\n1,\"a, b\"\n2,\"two\nlines\"\n");

        Assert.Equal(Strings("a, b", "two\nlines"), table.GetStrings("note"));
    }

    [Fact]
    public async Task A_blank_header_cell_is_named_as_pandas_names_it()
    {
        var table = await Read(",x\n0,1.5\n1,2.5\n");

        Assert.Equal(["Unnamed: 0", "x"], table.ColumnNames);
    }

    [Fact]
    public async Task A_ragged_row_is_an_error_naming_its_line()
    {
        var error = await Assert.ThrowsAsync<KeelException>(() => Read("a,b\n1,2\n\n3\n4,5\n"));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("line 4 has 1 fields but the header has 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_with_an_unclosed_quote_is_an_error_naming_its_line()
    {
        var error = await Assert.ThrowsAsync<KeelException>(() => Read("a,b\n1,2\n3,\"4\n"));

        Assert.Contains("malformed at line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicated_header_name_is_an_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<KeelException>(() => Read("a,b,a\n1,2,3\n"));

        Assert.Contains("column 'a' twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_file_is_an_error_asking_for_a_header()
    {
        var error = await Assert.ThrowsAsync<KeelException>(() => Read(""));

        Assert.Contains("header row", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_are_chosen_by_extension_and_a_missing_or_unknown_one_is_an_error()
    {
        using var folder = new TempDirectory();
        await File.WriteAllTextAsync(folder.Combine("t.CSV"), "a\n1\n");

        Assert.Equal(1, (await TableReader.ReadAsync(folder.Combine("t.CSV"))).RowCount);
        var missing = await Assert.ThrowsAsync<KeelException>(() => TableReader.ReadAsync(folder.Combine("none.csv")));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, missing.Code);
        Assert.Contains("none.csv", missing.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<KeelException>(() => TableReader.ReadAsync(folder.Combine("t.xlsx")));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, unknown.Code);
        Assert.Contains("'.xlsx'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_reads_in_the_format_it_is_given_and_stays_open()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("\uFEFFx,y\n1,a\n"));

        var table = await TableReader.ReadAsync(stream, TableFormat.Csv);

        Assert.Equal(["x", "y"], table.ColumnNames);
        Assert.True(stream.CanRead);
    }

    private static Task<Table> Read(string csv) => TableReader.ReadCsvAsync(new StringReader(csv));
}
