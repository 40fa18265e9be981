namespace Keel.Core.Validation;

/// <summary>
/// Every size limit Keel enforces, in one place (reference §4). The validator checks them before
/// any store write, so every back end rejects the same requests and stores nothing of them.
/// </summary>
public static class Limits
{
    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsPerBatch = 100;
    public const int MaxTagsPerBatch = 100;
    public const int MaxEntitiesPerBatch = 1000;

    public const int MaxKeyLength = 250;

    /// <summary>Longer param values are truncated, as MLflow does by default (MLFLOW_TRUNCATE_LONG_VALUES).</summary>
    public const int MaxParamValueLength = 6000;

    /// <summary>Longer run tag values are truncated, as MLflow does by default.</summary>
    public const int MaxRunTagValueLength = 8000;

    public const int MaxExperimentTagValueLength = 5000;
    public const int MaxExperimentNameLength = 500;
    public const int MaxArtifactLocationLength = 2048;
    public const int MaxRunNameLength = 250;
    public const int MaxUserIdLength = 256;

    public const int MaxDatasetNameLength = 500;
    public const int MaxDatasetDigestLength = 36;
    public const int MaxDatasetSourceLength = 65_535;
    public const int MaxDatasetSchemaLength = 1_048_575;
    public const int MaxDatasetProfileLength = 16_777_215;
    public const int MaxInputTagKeyLength = 255;
    public const int MaxInputTagValueLength = 500;

    public const int DefaultRunsPerPage = 1000;
    public const int MaxRunsPerPage = 50_000;
    public const int DefaultExperimentsPerPage = 1000;
    public const int MaxExperimentsPerPage = 50_000;

    public const int MaxBulkIntervalRunIds = 100;
    public const int MaxBulkIntervalResults = 2500;

    /// <summary>log-model's model_json is stored in a run tag; MLflow caps it at the run tag size.</summary>
    public const int MaxModelJsonLength = 1_000_000;

    // Model registry (reference §4).
    public const int MaxRegisteredModelNameLength = 256;
    public const int MaxRegistryTagValueLength = 5000;
    public const int MaxAliasLength = 255;
    public const int MaxModelVersionSourceLength = 65_535;
    public const int MaxRegistryDescriptionLength = 65_535;
    public const int DefaultRegisteredModelsPerPage = 100;
    public const int MaxRegisteredModelsPerPage = 1000;

    /// <summary>MLflow's proto default for model-versions/search is also its maximum.</summary>
    public const int DefaultModelVersionsPerPage = 200_000;
    public const int MaxModelVersionsPerPage = 200_000;
}
