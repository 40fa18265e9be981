using Keel.Core.Errors;
using Keel.Tabular;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Tabular;

public sealed class TableTests
{
    private static readonly Table People = new(
        Column.Create("age", [31L, 45L]),
        Column.Create("height", [1.75, double.NaN]),
        Column.Create("name", ["ann", null]),
        Column.Create("member", new bool?[] { true, null }),
        Column.Create("score", [0.5f, 1.25f]),
        Column.Create("visits", [3, 4]));

    [Fact]
    public void Dropping_the_target_keeps_the_other_columns_in_order()
    {
        var features = People.DropColumn("name");

        Assert.Equal(["age", "height", "member", "score", "visits"], features.ColumnNames);
        Assert.Equal(2, features.RowCount);
        Assert.Equal(6, People.ColumnCount);
    }

    [Fact]
    public void Columns_read_as_doubles_and_as_text_with_missing_values_kept()
    {
        Assert.Equal([31.0, 45.0], People.GetDoubles("age"));
        Assert.Equal([1.75, double.NaN], People.GetDoubles("height"));
        Assert.Equal([1.0, double.NaN], People.GetDoubles("member"));
        Assert.Equal([0.5, 1.25], People.GetDoubles("score"));
        Assert.Equal(Strings("1.75", null), People.GetStrings("height"));
        Assert.Equal(Strings("true", null), People.GetStrings("member"));
        Assert.Equal(Strings("ann", null), People.GetStrings("name"));
        Assert.Equal(Strings("3", "4"), People.GetStrings("visits"));
    }

    [Fact]
    public void Asking_for_a_column_that_is_not_there_names_it_and_the_columns_there_are()
    {
        var error = Assert.Throws<KeelException>(() => People.DropColumn("target"));

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.Contains("no column 'target'", error.Message, StringComparison.Ordinal);
        Assert.Contains("age, height, name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_column_read_as_numbers_is_an_error_naming_it()
    {
        var error = Assert.Throws<KeelException>(() => People.GetDoubles("name"));

        Assert.Contains("Column 'name' holds strings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_names_and_unequal_lengths_are_rejected()
    {
        var duplicate = Assert.Throws<KeelException>(() => new Table(Column.Create("a", [1.0]), Column.Create("a", [2.0])));
        var ragged = Assert.Throws<KeelException>(() => new Table(Column.Create("a", [1.0]), Column.Create("b", [1.0, 2.0])));

        Assert.Contains("'a' appears more than once", duplicate.Message, StringComparison.Ordinal);
        Assert.Contains("Column 'b' has 2 rows but column 'a' has 1", ragged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_that_marks_nothing_is_no_mask()
    {
        var column = Column.Create("n", [1L, 2L], [false, false]);

        Assert.Null(column.Missing);
        Assert.Equal(0, column.MissingCount);
    }
}
