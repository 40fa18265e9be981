using System.Globalization;
using System.Text.RegularExpressions;
using Keel.Core.Errors;
using Keel.Core.Registry;

namespace Keel.Core.Deployments;

/// <summary>The rules a deployment spec obeys (docs/configuration.md "Deployments"); errors name the field.</summary>
public static partial class DeploymentValidator
{
    public const int MaxNameLength = 64;
    public const int MaxRoutes = 10;
    public const int MaxRolloutSteps = 10;
    public const int MaxRetentionDays = 3650;
    public const int MaxBatchSize = 4096;
    public const double MaxBatchWaitMs = 1000;
    public const int MaxDescriptionLength = 5000;

    public static void Name(string? name, string field = "name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw KeelException.Missing(field);
        }

        if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
        {
            throw KeelException.Invalid(
                $"Invalid value '{name}' for '{field}': use 1-{MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
    }

    public static void Description(string? description)
    {
        if (description is { Length: > MaxDescriptionLength })
        {
            throw KeelException.Invalid($"'description' is {description.Length} characters; the limit is {MaxDescriptionLength}.");
        }
    }

    public static void Spec(DeploymentSpec spec)
    {
        if (spec.Routes.Count == 0)
        {
            throw KeelException.Invalid("'routes' must name at least one model: [{\"name\": \"primary\", \"model_uri\": \"models:/NAME@champion\", \"weight\": 100}].");
        }

        if (spec.Routes.Count > MaxRoutes)
        {
            throw KeelException.Invalid($"'routes' has {spec.Routes.Count} entries; the limit is {MaxRoutes}.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Routes.Count; i++)
        {
            var route = spec.Routes[i];
            Name(route.Name, $"routes[{i}].name");
            if (!names.Add(route.Name))
            {
                throw KeelException.Invalid($"Invalid value '{route.Name}' for 'routes[{i}].name': two routes have this name.");
            }

            ModelUri(route.ModelUri, $"routes[{i}].model_uri");
            if (!double.IsFinite(route.Weight) || route.Weight < 0 || route.Weight > 1_000_000)
            {
                throw KeelException.Invalid($"Invalid value {Format(route.Weight)} for 'routes[{i}].weight': a weight is a number from 0 to 1000000.");
            }
        }

        if (spec.Routes.Sum(r => r.Weight) <= 0)
        {
            throw KeelException.Invalid("Invalid 'routes': the weights add up to 0, so no route would get traffic.");
        }

        if (spec.Shadow is { } shadow)
        {
            ModelUri(shadow.ModelUri, "shadow.model_uri");
            Fraction(shadow.Share, "shadow.share", allowZero: false);
        }

        if (spec.StickyHeader is { } header && (header.Length is 0 or > 100 || !HeaderPattern().IsMatch(header)))
        {
            throw KeelException.Invalid($"Invalid value '{header}' for 'sticky_header': give an HTTP header name such as X-Keel-Route-Key.");
        }

        Fraction(spec.InferenceLog.SampleRate, "inference_log.sample_rate", allowZero: true);
        if (spec.InferenceLog.RetentionDays is < 1 or > MaxRetentionDays)
        {
            throw KeelException.Invalid($"Invalid value {spec.InferenceLog.RetentionDays} for 'inference_log.retention_days': from 1 to {MaxRetentionDays} days.");
        }

        if (spec.Batching is { } batching)
        {
            if (batching.MaxBatchSize is < 1 or > MaxBatchSize)
            {
                throw KeelException.Invalid($"Invalid value {batching.MaxBatchSize} for 'batching.max_batch_size': from 1 to {MaxBatchSize}.");
            }

            if (!double.IsFinite(batching.MaxWaitMs) || batching.MaxWaitMs < 0 || batching.MaxWaitMs > MaxBatchWaitMs)
            {
                throw KeelException.Invalid($"Invalid value {Format(batching.MaxWaitMs)} for 'batching.max_wait_ms': from 0 to {Format(MaxBatchWaitMs)}.");
            }
        }
    }

    public static void Rollout(RolloutSpec rollout)
    {
        ModelUri(rollout.ModelUri, "rollout.model_uri");
        if (rollout.Steps.Count is 0 or > MaxRolloutSteps)
        {
            throw KeelException.Invalid($"'rollout.steps' must have 1 to {MaxRolloutSteps} steps, e.g. [{{\"weight\": 10, \"hold_seconds\": 300}}, {{\"weight\": 100}}].");
        }

        var previous = 0.0;
        for (var i = 0; i < rollout.Steps.Count; i++)
        {
            var step = rollout.Steps[i];
            var at = $"rollout.steps[{i}]";
            if (!double.IsFinite(step.Weight) || step.Weight <= previous || step.Weight > 100)
            {
                throw KeelException.Invalid($"Invalid value {Format(step.Weight)} for '{at}.weight': steps are percentages that grow, each above {Format(previous)} and at most 100.");
            }

            previous = step.Weight;
            var last = i == rollout.Steps.Count - 1;
            if (step.HoldSeconds is { } seconds && (!double.IsFinite(seconds) || seconds <= 0 || seconds > 30 * 86400))
            {
                throw KeelException.Invalid($"Invalid value {Format(seconds)} for '{at}.hold_seconds': more than 0 and at most 30 days.");
            }

            if (step.HoldRequests is <= 0)
            {
                throw KeelException.Invalid($"Invalid value {step.HoldRequests} for '{at}.hold_requests': a positive count.");
            }

            if (!last && step.HoldSeconds is null && step.HoldRequests is null)
            {
                throw KeelException.Invalid($"'{at}' needs hold_seconds or hold_requests: how long the step runs before its gate is judged.");
            }
        }

        if (previous < 100)
        {
            throw KeelException.Invalid($"The last step of 'rollout.steps' must have weight 100 (it has {Format(previous)}): a rollout ends with all the traffic on the new model.");
        }

        var gates = rollout.Gates;
        Fraction(gates.MaxErrorRateIncrease, "rollout.gates.max_error_rate_increase", allowZero: true);
        if (!double.IsFinite(gates.MaxP99Ratio) || gates.MaxP99Ratio < 1 || gates.MaxP99Ratio > 1000)
        {
            throw KeelException.Invalid($"Invalid value {Format(gates.MaxP99Ratio)} for 'rollout.gates.max_p99_ratio': from 1 to 1000.");
        }

        if (gates.MinRequests is < 1 or > 10_000_000)
        {
            throw KeelException.Invalid($"Invalid value {gates.MinRequests} for 'rollout.gates.min_requests': from 1 to 10000000.");
        }
    }

    /// <summary>Models a deployment can serve: a registry URI or a run's artifact.</summary>
    public static void ModelUri(string? uri, string field)
    {
        if (string.IsNullOrEmpty(uri))
        {
            throw KeelException.Missing(field);
        }

        if (ModelReference.IsModelsUri(uri))
        {
            try
            {
                _ = ModelReference.Parse(uri);
            }
            catch (KeelException e)
            {
                throw KeelException.Invalid($"Invalid value '{uri}' for '{field}': {e.Message}");
            }

            return;
        }

        if (RunReference.IsRunsUri(uri))
        {
            _ = RunReference.Parse(uri);
            return;
        }

        throw KeelException.Invalid($"Invalid value '{uri}' for '{field}': a deployment serves models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/STAGE or runs:/RUN_ID/PATH.");
    }

    private static void Fraction(double value, string field, bool allowZero)
    {
        if (!double.IsFinite(value) || value > 1 || value < 0 || (!allowZero && value == 0))
        {
            throw KeelException.Invalid($"Invalid value {Format(value)} for '{field}': a fraction {(allowZero ? "from 0" : "above 0")} to 1.");
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")]
    private static partial Regex HeaderPattern();
}
