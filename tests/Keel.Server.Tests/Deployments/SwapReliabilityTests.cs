using System.Collections.Concurrent;
using System.Diagnostics;
using Keel.Core.Deployments;

namespace Keel.Server.Tests.Deployments;

/// <summary>Issue 5 §7: traffic never fails while a deployment is updated, rolled back and its alias moved.</summary>
public sealed class SwapReliabilityTests
{
    [Fact]
    public async Task Sixty_four_clients_see_no_failure_while_the_deployment_changes_ten_times_and_each_answer_comes_from_a_version_it_held()
    {
        await using var f = await DeploymentFixture.StartAsync(irisVersions: 3);
        await f.Client.SetRegisteredModelAliasAsync("iris", "champion", "1");
        await f.Client.CreateDeploymentAsync("busy", DeploymentFixture.Spec(new RouteSpec("primary", "models:/iris@champion", 100)));

        // What the deployment may serve over time: a state starts when its change is asked for and
        // ends when the next change has taken effect (an alias move takes effect on the server's next tick).
        var states = new List<(long From, long Until, string[] Versions)>();
        var clock = Stopwatch.StartNew();
        var since = 0L;
        var held = new[] { "1" };
        var failures = new ConcurrentQueue<string>();
        var answers = new ConcurrentQueue<(long Start, long End, string Version)>();
        using var stop = new CancellationTokenSource();
        var body = await DeploymentFixture.IrisBodyAsync();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = f.Server.BaseUri };

        var clients = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var start = clock.ElapsedMilliseconds;
                try
                {
                    var (status, version, _, text) = await f.InvokeAsync("busy", body, http: http);
                    if (status != 200 || version is null)
                    {
                        failures.Enqueue($"{status}: {text}");
                        continue;
                    }

                    answers.Enqueue((start, clock.ElapsedMilliseconds, version));
                }
                catch (HttpRequestException e)
                {
                    failures.Enqueue(e.Message);
                }
            }
        })).ToList();

        string[][] changes =
        [
            ["update", "2"], ["alias", "3"], ["rollback", "1"], ["update", "3"], ["alias", "2"],
            ["rollback", "4"], ["update", "1"], ["alias", "1"], ["rollback", "2"], ["update", "2"],
        ];
        var champion = "1";
        foreach (var change in changes)
        {
            await Task.Delay(2_500);
            string[] next;
            long asked;
            switch (change[0])
            {
                case "update":
                    // Half on a fixed version, half on the alias.
                    next = [change[1], champion];
                    asked = clock.ElapsedMilliseconds;
                    var updated = await f.Client.UpdateDeploymentAsync("busy", DeploymentFixture.Spec(
                        new RouteSpec("fixed", $"models:/iris/{change[1]}", 50), new RouteSpec("primary", "models:/iris@champion", 50)));
                    Assert.Equal(next, updated.Serving.Select(r => r.Version));
                    break;
                case "alias":
                    var current = await f.Client.GetDeploymentAsync("busy");
                    champion = change[1];
                    next = [.. current.Spec.Routes.Select(r => r.ModelUri.EndsWith("@champion", StringComparison.Ordinal) ? champion : r.ModelUri[(r.ModelUri.LastIndexOf('/') + 1)..])];
                    asked = clock.ElapsedMilliseconds;
                    await f.Client.SetRegisteredModelAliasAsync("iris", "champion", champion);
                    Assert.True(await DeploymentFixture.EventuallyAsync(async () =>
                        (await f.Client.GetDeploymentAsync("busy")).Serving.Select(r => r.Version).SequenceEqual(next)));
                    break;
                default:
                    var target = await f.Client.GetDeploymentHistoryAsync("busy");
                    var revision = Math.Min(long.Parse(change[1], System.Globalization.CultureInfo.InvariantCulture), target.Revisions[0].Revision);
                    var spec = target.Revisions.Single(r => r.Revision == revision).Spec;
                    next = [.. spec.Routes.Select(r => r.ModelUri.EndsWith("@champion", StringComparison.Ordinal) ? champion : r.ModelUri[(r.ModelUri.LastIndexOf('/') + 1)..])];
                    asked = clock.ElapsedMilliseconds;
                    await f.Client.RollbackDeploymentAsync("busy", revision);
                    break;
            }

            states.Add((since, clock.ElapsedMilliseconds, held));
            (since, held) = (asked, next);
        }

        await Task.Delay(2_500);
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        states.Add((since, long.MaxValue, held));

        Assert.True(failures.IsEmpty, $"{failures.Count} failed requests, e.g. {failures.FirstOrDefault()}");
        Assert.True(answers.Count > 1_000, $"only {answers.Count} answers");
        foreach (var (start, end, version) in answers)
        {
            // Allowed: every state that overlaps the request's lifetime.
            var allowed = states.Where(s => s.From <= end && s.Until >= start).SelectMany(s => s.Versions);
            Assert.True(allowed.Contains(version), $"version {version} answered a request [{start}, {end}] ms; states: "
                + string.Join("; ", states.Select(s => $"[{s.From}, {s.Until}] {string.Join("/", s.Versions)}")));
        }

        Assert.Equal(3, answers.Select(a => a.Version).Distinct().Count());
    }
}
