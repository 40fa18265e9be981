using System.Globalization;
using System.Text;
using System.Text.Json;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Serving.Tests.Support;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Serving.Tests.Protocols;

/// <summary>iris_forest.onnx and diabetes_linear.onnx, packaged and loaded once for the protocol tests, with their fixture rows.</summary>
public sealed class ServedModels : IDisposable
{
    private readonly TempDirectory _folder = new();

    public ServedModels()
    {
        var packager = new ModelPackager(Fixtures.Clock);
        packager.SaveOnnx(Fixtures.Path("iris_forest.onnx"), _folder.Combine("iris"));
        packager.SaveOnnx(Fixtures.Path("diabetes_linear.onnx"), _folder.Combine("diabetes"));
        Iris = ModelLoader.Load(_folder.Combine("iris"));
        Diabetes = ModelLoader.Load(_folder.Combine("diabetes"));
        IrisData = Fixtures.ReadAsync("iris.csv").GetAwaiter().GetResult().DropColumn("species");
        IrisExpected = Fixtures.ReadAsync("iris_forest_expected.csv").GetAwaiter().GetResult();
        DiabetesData = Fixtures.ReadAsync("diabetes.csv").GetAwaiter().GetResult().DropColumn("target");
        DiabetesExpected = Fixtures.ReadAsync("diabetes_linear_expected.csv").GetAwaiter().GetResult().GetDoubles("prediction");
    }

    public IPredictor Iris { get; }

    public IPredictor Diabetes { get; }

    public Table IrisData { get; }

    public Table IrisExpected { get; }

    public Table DiabetesData { get; }

    public double[] DiabetesExpected { get; }

    /// <summary>The four iris features of the given rows, as JSON number lists.</summary>
    public string IrisRowsJson(params int[] rows) => JsonSerializer.Serialize(rows.Select(r => IrisData.Columns.Select(c => c.GetDouble(r)).ToArray()));

    /// <summary>The expected forest labels of the given rows.</summary>
    public IEnumerable<string?> IrisLabels(params int[] rows) => rows.Select(r => IrisExpected.GetStrings("label")[r]);

    /// <summary>The ten diabetes features of the given rows as dataframe_records objects.</summary>
    public string DiabetesRecordsJson(params int[] rows) => JsonSerializer.Serialize(
        rows.Select(r => DiabetesData.Columns.ToDictionary(c => c.Name, c => c.GetDouble(r))));

    public static string Csv(Table table, params int[] rows)
    {
        var text = new StringBuilder(string.Join(",", table.ColumnNames)).Append('\n');
        foreach (var r in rows)
        {
            text.Append(string.Join(",", table.Columns.Select(c => c.GetDouble(r).ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        }

        return text.ToString();
    }

    public void Dispose()
    {
        Iris.Dispose();
        Diabetes.Dispose();
        _folder.Dispose();
    }
}
