using Keel.Core.Errors;
using Keel.Serving.Predictors;
using Keel.Tabular;
using static Keel.Serving.Tests.Support.Expect;

namespace Keel.Serving.Tests.Predictors;

public sealed class PredictionResultTests
{
    private static readonly PredictionResult Classifier = new([
        new PredictionTensor("label", new long[] { 2, 0 }, [2]),
        new PredictionTensor("probabilities", new[] { 0.1f, 0.2f, 0.7f, 0.9f, 0.05f, 0.05f }, [2, 3]),
    ]);

    [Fact]
    public void Several_outputs_become_one_MLflow_record_per_row()
    {
        Assert.Equal(
            """[{"label":2,"probabilities":[0.1,0.2,0.7]},{"label":0,"probabilities":[0.9,0.05,0.05]}]""",
            Classifier.ToMlflowPredictions().ToJsonString());
    }

    [Fact]
    public void One_output_becomes_its_nested_list()
    {
        var regression = new PredictionResult([new PredictionTensor("prediction", new[] { 1.5f, float.NaN }, [2, 1])]);

        Assert.Equal("[[1.5],[null]]", regression.ToMlflowPredictions().ToJsonString());
        Assert.Equal([1.5, double.NaN], regression.GetPredictedValues());
    }

    [Fact]
    public void Labels_and_class_scores_are_read_per_row()
    {
        Assert.Equal(Strings("2", "0"), Classifier.GetPredictedLabels());
        Assert.Equal([0.9f, 0.05f, 0.05f], Classifier.GetClassScores()[1].Select(s => (float)s));
    }

    [Fact]
    public void Without_a_label_output_the_label_is_the_class_with_the_highest_score()
    {
        var scoresOnly = new PredictionResult([new PredictionTensor("scores", new[] { 0.2, 0.8, 0.6, 0.4 }, [2, 2], ["cat", "dog"])]);

        Assert.Equal(Strings("dog", "cat"), scoresOnly.GetPredictedLabels());
        Assert.Equal(["cat", "dog"], scoresOnly.ClassNames!);
    }

    [Fact]
    public void Outputs_become_table_columns_one_per_slot()
    {
        var table = Classifier.ToTable();

        Assert.Equal(["label", "probabilities_0", "probabilities_1", "probabilities_2"], table.ColumnNames);
        Assert.Equal(ColumnType.Int64, table["label"].Type);
        Assert.Equal([0.7, 0.05], table.GetDoubles("probabilities_2").Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void Asking_for_scores_a_model_does_not_give_names_its_outputs()
    {
        var text = new PredictionResult([new PredictionTensor("summary", new[] { "a", "b" }, [2])]);

        var error = Assert.Throws<KeelException>(text.GetClassScores);

        Assert.Contains("class scores per row", error.Message, StringComparison.Ordinal);
        Assert.Contains("summary: string[2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shape_that_does_not_hold_the_data_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new PredictionTensor("x", new[] { 1f, 2f, 3f }, [2, 2]));
    }
}
