using Keel.Serving.Predictors;

namespace Keel.Server.Serving;

/// <summary>One loaded model that a serving process answers for.</summary>
/// <param name="Name">The name clients address (OIP v2 `/v2/models/{name}`): the registered model, or the folder's name.</param>
/// <param name="Version">The registry version, or `local` for a folder.</param>
/// <param name="Source">What it was loaded from (`models:/iris@champion`, a folder).</param>
/// <param name="Predictor">The model.</param>
/// <param name="Owner">What to dispose when the model is unloaded (the predictor, or the object holding it).</param>
public sealed record ServedModel(string Name, string Version, string Source, IPredictor Predictor, IDisposable Owner) : IDisposable
{
    public void Dispose() => Owner.Dispose();
}

/// <summary>How `keel serve` listens.</summary>
public sealed class ServeOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Largest request body in MiB.</summary>
    public int MaxRequestMb { get; set; } = 64;

    /// <summary>
    /// Called every <see cref="RefreshInterval"/> with the served deployment: re-resolves what it
    /// follows (an alias, a stage, the deployment's revision on the server) and swaps in what moved.
    /// </summary>
    public Func<DeploymentRuntime, CancellationToken, Task>? Refresh { get; set; }

    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where inference records go (the tracking server's inference log); null keeps none.</summary>
    public IInferenceSink? InferenceSink { get; set; }

    public InferenceLogOptions InferenceLog { get; set; } = new();
}
