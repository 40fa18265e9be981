using Keel.Core.Inference;
using Keel.Core.Tracking;
using Keel.Server.Deployments;
using Keel.Server.Serving;
using Keel.Storage.Sql;
using Keel.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Tests.Deployments;

/// <summary>The hourly purge of inference records, including those of deployments that no longer exist.</summary>
public sealed class InferenceRetentionTests
{
    private const long Day = 86_400_000;

    [Fact]
    public async Task Records_of_a_deployment_that_no_longer_exists_are_kept_for_the_default_retention_then_purged()
    {
        using var folder = new TempDirectory();
        var tracking = TrackingStoreFactory.Open("sqlite:///" + folder.Combine("keel.db"));
        try
        {
            await new TrackingService(tracking, TimeProvider.System, new TrackingOptions()).InitializeAsync(default);
            var log = TrackingStoreFactory.OpenInferenceLog(tracking);
            var now = 400 * Day;
            await log.AppendAsync([Record("gone", "old", now - (31 * Day)), Record("gone", "recent", now - (29 * Day)), Record("served-elsewhere", "x", now - (40 * Day))], default);

            using var manager = new DeploymentManager(TrackingStoreFactory.OpenDeployments(tracking), log, new NoModels(),
                new FixedClock(DateTimeOffset.FromUnixTimeMilliseconds(now)), NullLogger<DeploymentManager>.Instance);
            await manager.TickAsync(default);

            Assert.Equal(["recent"], (await log.QueryAsync(new InferenceQuery("gone", Limit: 10), default)).Select(r => r.RequestId));
            Assert.Empty(await log.QueryAsync(new InferenceQuery("served-elsewhere", Limit: 10), default));
            Assert.Equal(["gone"], await log.ListDeploymentsAsync(default));
        }
        finally
        {
            if (tracking is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    private static InferenceRecord Record(string deployment, string id, long time) =>
        new(id, deployment, "iris", "1", "primary", false, time, 1.5, 200, null, """{"x":[1]}""", """{"predictions":[0]}""");

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class NoModels : IModelSource
    {
        public Task<ResolvedModel> ResolveAsync(string uri, CancellationToken ct) => throw new InvalidOperationException("No deployment is stored.");

        public Task<ServedModel> LoadAsync(ResolvedModel model, CancellationToken ct) => throw new InvalidOperationException("No deployment is stored.");
    }
}
