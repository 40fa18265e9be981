using Keel.Server.Serving;
using Keel.Serving.Models;
using Keel.Serving.Predictors;
using Keel.Testing;

namespace Keel.Server.Tests.Serving;

/// <summary>Swapping the served model never takes it away from a request that holds it.</summary>
public sealed class LeaseHostTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly IPredictor _predictor;

    public LeaseHostTests()
    {
        new ModelPackager(TimeProvider.System).SaveOnnx(RepositoryFiles.SharedFixture("iris_forest.onnx"), _folder.Path);
        _predictor = ModelLoader.Load(_folder.Path);
    }

    public void Dispose()
    {
        _predictor.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void A_swapped_out_model_is_disposed_after_its_last_lease_and_not_before()
    {
        var first = new CountingOwner();
        var second = new CountingOwner();
        using var host = new LeaseHost<ServedModel>(new ServedModel("iris", "1", "a", _predictor, first));

        var inFlight = host.Acquire();
        host.Swap(new ServedModel("iris", "2", "b", _predictor, second));
        Assert.Equal("2", host.Current.Version);
        Assert.Equal("1", inFlight.Value.Version);
        Assert.Equal(0, first.Disposed);

        inFlight.Dispose();
        Assert.Equal(1, first.Disposed);

        using (var lease = host.Acquire())
        {
            Assert.Equal("2", lease.Value.Version);
        }

        Assert.Equal(0, second.Disposed);
        host.Swap(new ServedModel("iris", "3", "c", _predictor, new CountingOwner()));
        Assert.Equal(1, second.Disposed);
    }

    private sealed class CountingOwner : IDisposable
    {
        public int Disposed { get; private set; }

        public void Dispose() => Disposed++;
    }
}
