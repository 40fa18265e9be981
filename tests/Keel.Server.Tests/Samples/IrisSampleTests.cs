using Keel.Client;
using Keel.Client.Models;
using Keel.Samples.Iris;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Server.Tests.Samples;

/// <summary>The iris walk-through (samples/Iris) run in process against a real server, twice, as a user would.</summary>
public sealed class IrisSampleTests
{
    [Fact]
    public async Task The_iris_sample_registers_two_versions_with_champion_and_challenger_aliases()
    {
        await using var server = await KeelServer.StartAsync();
        var name = $"iris-{Guid.NewGuid():N}";
        using var output = new StringWriter();

        var first = await IrisSample.RunAsync(new IrisOptions { TrackingUri = server.BaseUri, ModelName = name }, output);
        var second = await IrisSample.RunAsync(new IrisOptions { TrackingUri = server.BaseUri, ModelName = name, Trees = 20, Leaves = 4 }, output);

        Assert.Equal(("1", IrisSample.Champion), (first.Version, first.Alias));
        Assert.Equal(("2", IrisSample.Challenger), (second.Version, second.Alias));
        Assert.Contains($"./keel models evaluate models:/{name}@champion models:/{name}@challenger --data samples/Iris/iris.csv --target species",
            output.ToString(), StringComparison.Ordinal);

        using var client = new KeelClient(server.BaseUri);
        var versions = (await client.SearchModelVersionsAsync($"name = '{name}'")).Items.OrderBy(v => int.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([("1", first.RunId), ("2", second.RunId)], versions.Select(v => (v.Version, v.RunId)));
        Assert.Equal("1", (await client.GetModelVersionByAliasAsync(name, "champion")).Version);
        Assert.Equal("2", (await client.GetModelVersionByAliasAsync(name, "challenger")).Version);

        foreach (var (result, trees) in new[] { (first, "100"), (second, "20") })
        {
            var run = await client.GetRunAsync(result.RunId);
            Assert.Equal(RunStatus.Finished, run.Info.Status);
            Assert.Equal(trees, run.Data.Params["n_trees"]);
            Assert.Equal("FastForest (one-versus-all)", run.Data.Params["trainer"]);
            Assert.InRange(run.Data.Metrics["accuracy"].Value, 0.8, 1.0);
            Assert.InRange(run.Data.Metrics["f1_macro"].Value, 0.8, 1.0);
            Assert.Equal(result.Accuracy, run.Data.Metrics["accuracy"].Value, 12);
            Assert.Equal(result.F1Macro, run.Data.Metrics["f1_macro"].Value, 12);
            Assert.All(["accuracy_macro", "log_loss", "f1_weighted"], key => Assert.True(run.Data.Metrics.ContainsKey(key), key));
        }

        using var cache = new TempDirectory();
        using var champion = await client.LoadModelAsync($"models:/{name}@champion", new KeelModelOptions { CacheDirectory = cache.Path });
        var iris = await TableReader.ReadAsync(RepositoryFiles.Path("samples/Iris/iris.csv"));
        var predicted = champion.Predict(iris.DropColumn("species")).GetPredictedLabels();
        var agreement = predicted.Zip(iris.GetStrings("species")).Count(p => p.First == p.Second) / (double)iris.RowCount;
        Assert.Equal("mlnet", champion.Flavor);
        Assert.True(agreement >= 0.9, $"The champion agrees with the true species on {agreement:P1} of the rows.");
    }

    [Fact]
    public void The_command_line_takes_every_option_and_names_the_one_that_is_wrong()
    {
        var options = IrisOptions.Parse([
            "--tracking-uri", "http://127.0.0.1:5091", "--trees", "20", "--leaves", "4", "--min-examples", "3",
            "--seed", "7", "--experiment", "flowers", "--model", "petals", "--data", "/tmp/iris.csv"]);

        Assert.Equal(
            new IrisOptions
            {
                TrackingUri = new Uri("http://127.0.0.1:5091"),
                Trees = 20,
                Leaves = 4,
                MinExamplesPerLeaf = 3,
                Seed = 7,
                Experiment = "flowers",
                ModelName = "petals",
                DataPath = "/tmp/iris.csv",
            },
            options);
        Assert.Equal(new IrisOptions(), IrisOptions.Parse([]));
        Assert.Equal("--trees takes a whole number, not 'many'.", Assert.Throws<FormatException>(() => IrisOptions.Parse(["--trees", "many"])).Message);
        Assert.Equal("--leaves must be at least 2, not '1'.", Assert.Throws<FormatException>(() => IrisOptions.Parse(["--leaves", "1"])).Message);
        Assert.Equal("--model needs a value.", Assert.Throws<FormatException>(() => IrisOptions.Parse(["--model"])).Message);
        Assert.Contains("'--tree'", Assert.Throws<FormatException>(() => IrisOptions.Parse(["--tree", "5"])).Message, StringComparison.Ordinal);
        Assert.Contains("--tracking-uri", Assert.Throws<FormatException>(() => IrisOptions.Parse(["--tracking-uri", "localhost"])).Message, StringComparison.Ordinal);
    }
}
