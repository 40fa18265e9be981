using System.Text.Json;
using Keel.Core.Deployments;
using Keel.Tabular;
using Keel.Testing;

namespace Keel.Server.Tests.Deployments;

/// <summary>Adaptive micro-batching: concurrent requests scored in one model call answer exactly as they would alone.</summary>
public sealed class MicroBatchingTests
{
    [Fact]
    public async Task Batched_requests_get_the_same_predictions_as_unbatched_ones()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 1);
        await f.Client.CreateDeploymentAsync("alone", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)));
        await f.Client.CreateDeploymentAsync("batched", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris/1", 100)) with
        {
            Batching = new BatchingSpec(16, 20),
        });
        var iris = (await TableReader.ReadAsync(RepositoryFiles.SharedFixture("iris.csv"))).DropColumn("species");
        var bodies = Enumerable.Range(0, 60).Select(i =>
        {
            var rows = Enumerable.Range(i * 2, 1 + (i % 3)).Select(r => iris.Columns.ToDictionary(c => c.Name, c => c.GetDouble(r % iris.RowCount))).ToArray();
            return JsonSerializer.Serialize(new { dataframe_records = rows });
        }).ToList();

        var expected = new List<string>();
        foreach (var body in bodies)
        {
            expected.Add((await f.InvokeAsync("alone", body)).Body);
        }

        var batched = await Task.WhenAll(bodies.Select(body => f.InvokeAsync("batched", body)));
        Assert.All(batched, b => Assert.Equal(200, b.Status));
        Assert.Equal(expected, batched.Select(b => b.Body));

        // A bad request in a batch fails alone.
        var mixed = await Task.WhenAll(bodies.Take(10).Select(body => f.InvokeAsync("batched", body))
            .Append(f.InvokeAsync("batched", """{"dataframe_records": [{"sepal_length": 1}]}""")));
        Assert.Equal(10, mixed.Count(m => m.Status == 200));
        Assert.Equal(400, mixed[^1].Status);
    }
}
