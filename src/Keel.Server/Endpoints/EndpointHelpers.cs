using System.Globalization;
using System.Text.Json;
using Keel.Core.Errors;
using Keel.Core.Tracking;
using Keel.Server.Http;

namespace Keel.Server.Endpoints;

internal static class EndpointHelpers
{
    /// <summary>
    /// The object in the request body's <paramref name="field"/>, parsed by <paramref name="parse"/>
    /// (a spec's own JSON); missing, not an object, or not fitting is INVALID_PARAMETER_VALUE
    /// naming the field, the JSON path and <paramref name="shape"/>.
    /// </summary>
    public static T BodyObject<T>(MlflowRequest r, string field, Func<string, T> parse, string shape)
    {
        var body = r.Args.Body;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.Object)
        {
            throw KeelException.Invalid($"'{field}' must be a JSON object: {shape}.");
        }

        try
        {
            return parse(value.GetRawText());
        }
        catch (JsonException e)
        {
            throw KeelException.Invalid($"'{field}' does not fit{(e.Path is { } path ? $" at {path}" : "")}: {e.Message}");
        }
    }

    /// <summary>Experiment ids are strings on the wire and integers in the store (reference §1.6).</summary>
    public static long ParseExperimentId(string? value, string field = "experiment_id")
    {
        if (string.IsNullOrEmpty(value))
        {
            throw KeelException.Missing(field);
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw KeelException.NotFound($"No Experiment with id={value} exists");
    }

    /// <summary>A repeated {key, value} field (tags, params); a missing key names its index (`tags[2].key`).</summary>
    public static IReadOnlyList<KeyValue> KeyValues(MlflowArgs args, string field) =>
        args.Objects(field).Select((t, i) => new KeyValue(
            t.String("key") is { Length: > 0 } key ? key : throw KeelException.Missing($"{field}[{i}].key"),
            t.String("value") ?? string.Empty)).ToList();

    public static ViewType ViewType(MlflowArgs args, string field) =>
        args.Enum<ViewTypeWire>(field) switch
        {
            ViewTypeWire.DELETED_ONLY => Core.Tracking.ViewType.DeletedOnly,
            ViewTypeWire.ALL => Core.Tracking.ViewType.All,
            _ => Core.Tracking.ViewType.ActiveOnly,
        };

    /// <summary>ViewType as protobuf names it on the wire.</summary>
    private enum ViewTypeWire
    {
        ACTIVE_ONLY = 1,
        DELETED_ONLY = 2,
        ALL = 3,
    }
}
