using Keel.Client;
using Keel.Testing;

namespace Keel.Server.Tests.Docs;

/// <summary>
/// README.md is what a newcomer reads first: its opening commands must be there, and its C# sample
/// is this file's code, run against a real server.
/// </summary>
public sealed class ReadmeTests
{
    private const string StartMarker = "// README-SAMPLE-START";
    private const string EndMarker = "// README-SAMPLE-END";

    /// <summary>
    /// The lines the README's C# block has before the tested sample: a directive and the address a
    /// server started by `./keel server` listens on, which the test replaces with its own server's.
    /// </summary>
    private const string ReadmePreamble =
        """
        using Keel.Client;

        var trackingUri = new Uri("http://127.0.0.1:5000"); // where ./keel server listens

        """;

    [Fact]
    public async Task Readme_csharp_sample_logs_a_run_to_a_real_server()
    {
        await using var server = await KeelServer.StartAsync();
        var trackingUri = server.BaseUri;

        // README-SAMPLE-START
        using var client = new KeelClient(trackingUri);

        await using (var run = await client.StartRunAsync("quickstart", runName: "dotnet-baseline"))
        {
            await run.LogParamsAsync(new Dictionary<string, string> { ["learning_rate"] = "0.01", ["epochs"] = "5" });
            for (var epoch = 0; epoch < 5; epoch++)
            {
                // Queued and sent in batches by a background sender.
                run.LogMetric("loss", 1.0 / (epoch + 2), step: epoch);
            }

            var report = Path.Combine(Directory.CreateTempSubdirectory("quickstart-").FullName, "report.txt");
            await File.WriteAllTextAsync(report, "final loss: 0.17\n");
            await run.LogArtifactAsync(report); // stored as report.txt at the run's artifact root

            Console.WriteLine($"Logged run {run.RunId}");
        } // disposing the run sends the queued metrics and ends the run FINISHED
        // README-SAMPLE-END

        var experiment = await client.GetExperimentByNameAsync("quickstart");
        Assert.NotNull(experiment);
        var runs = await client.SearchRunsAsync([experiment.ExperimentId], filter: "metrics.loss < 0.5", orderBy: ["metrics.loss ASC"]);
        var logged = Assert.Single(runs.Items);
        Assert.Equal("dotnet-baseline", logged.Info.RunName);
        Assert.Equal(RunStatus.Finished, logged.Info.Status);
        Assert.Equal("0.01", logged.Data.Params["learning_rate"]);
        Assert.Equal(4, logged.Data.Metrics["loss"].Step);
        Assert.Equal(1.0 / 6, logged.Data.Metrics["loss"].Value, 12);
        Assert.Equal(5, (await client.GetMetricHistoryAsync(logged.Info.RunId, "loss")).Count);
        var file = Assert.Single(await client.ListArtifactsAsync(logged.Info.RunId));
        Assert.Equal("report.txt", file.Path);

        await using var content = await client.OpenArtifactAsync(logged.Info.RunId, "report.txt");
        using var reader = new StreamReader(content);
        Assert.Equal("final loss: 0.17\n", await reader.ReadToEndAsync());
    }

    [Fact]
    public void Readme_shows_the_tested_csharp_sample_verbatim()
    {
        var expected = ReadmePreamble + Sample();
        var blocks = CodeBlocks(RepositoryFiles.ReadText("README.md"), "csharp");

        Assert.True(
            blocks.Contains(expected, StringComparer.Ordinal),
            "README.md has no ```csharp block equal to the sample in ReadmeTests.cs (preamble + the lines between the markers). "
            + $"Copy this block into README.md:\n```csharp\n{expected}```\n"
            + $"README.md's csharp blocks:\n{string.Join("\n---\n", blocks)}");
    }

    [Fact]
    public void Readme_opens_with_the_two_commands_a_newcomer_runs()
    {
        var opening = string.Join('\n', RepositoryFiles.ReadText("README.md").Split('\n').Take(40));

        Assert.Contains("./keel server", opening, StringComparison.Ordinal);
        Assert.Contains("./test.sh", opening, StringComparison.Ordinal);
    }

    /// <summary>The lines between the markers of this file, de-indented, each ending with `\n`.</summary>
    private static string Sample()
    {
        var lines = RepositoryFiles.ReadText("tests/Keel.Server.Tests/Docs/ReadmeTests.cs").Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == StartMarker);
        var end = Array.FindIndex(lines, l => l.Trim() == EndMarker);
        Assert.True(start >= 0 && end > start, $"ReadmeTests.cs must hold one sample between {StartMarker} and {EndMarker}.");

        var body = lines[(start + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Concat(body.Select(l => (l.Trim().Length == 0 ? string.Empty : l[indent..]) + "\n"));
    }

    /// <summary>The contents of each fenced block with the given info string, each line ending with `\n`.</summary>
    private static List<string> CodeBlocks(string markdown, string language)
    {
        var blocks = new List<string>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```" + language)
            {
                continue;
            }

            var block = new System.Text.StringBuilder();
            for (i++; i < lines.Length && lines[i].TrimEnd() != "```"; i++)
            {
                block.Append(lines[i]).Append('\n');
            }

            blocks.Add(block.ToString());
        }

        return blocks;
    }
}
