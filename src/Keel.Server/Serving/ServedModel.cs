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
    /// Called every <see cref="RefreshInterval"/> with the current model: returns a newly loaded
    /// model to serve instead (e.g. the alias moved), or null to keep the current one.
    /// </summary>
    public Func<ServedModel, CancellationToken, Task<ServedModel?>>? Refresh { get; set; }

    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
}
