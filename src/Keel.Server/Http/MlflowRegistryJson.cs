using System.Globalization;
using System.Text.Json;
using Keel.Core.Registry;

namespace Keel.Server.Http;

/// <summary>Registry response shapes (reference §3.1): version numbers as strings, unset fields and empty lists omitted.</summary>
public static class MlflowRegistryJson
{
    public static void RegisteredModel(Utf8JsonWriter w, RegisteredModel m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteNumber("creation_timestamp", m.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp", m.LastUpdatedTimestamp);
        if (m.Description is not null)
        {
            w.WriteString("description", m.Description);
        }

        if (m.LatestVersions.Count > 0)
        {
            w.WriteStartArray("latest_versions");
            foreach (var v in m.LatestVersions)
            {
                ModelVersion(w, v);
            }

            w.WriteEndArray();
        }

        MlflowJson.KeyValues(w, "tags", m.Tags);
        if (m.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var a in m.Aliases)
            {
                w.WriteStartObject();
                w.WriteString("alias", a.Alias);
                w.WriteString("version", a.Version.ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void ModelVersion(Utf8JsonWriter w, ModelVersion v)
    {
        w.WriteStartObject();
        w.WriteString("name", v.Name);
        w.WriteString("version", v.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("creation_timestamp", v.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp", v.LastUpdatedTimestamp);
        Optional(w, "user_id", v.UserId);
        w.WriteString("current_stage", v.CurrentStage);
        // MLflow's handler stores the request's unset proto strings as "", so its answers carry
        // description, run_id and run_link as "" rather than leaving them out.
        w.WriteString("description", v.Description ?? string.Empty);
        w.WriteString("source", v.Source);
        w.WriteString("run_id", v.RunId ?? string.Empty);
        w.WriteString("status", v.Status);
        Optional(w, "status_message", v.StatusMessage);
        MlflowJson.KeyValues(w, "tags", v.Tags);
        w.WriteString("run_link", v.RunLink ?? string.Empty);
        if (v.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var a in v.Aliases)
            {
                w.WriteStringValue(a);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void Change(Utf8JsonWriter w, RegistryChange c)
    {
        w.WriteStartObject();
        w.WriteString("name", c.Name);
        w.WriteString("kind", c.Kind == RegistryChangeKind.Alias ? "alias" : "stage");
        w.WriteString(c.Kind == RegistryChangeKind.Alias ? "alias" : "stage", c.Key);
        if (c.OldVersion is { } old)
        {
            w.WriteString("old_version", old.ToString(CultureInfo.InvariantCulture));
        }

        if (c.NewVersion is { } @new)
        {
            w.WriteString("new_version", @new.ToString(CultureInfo.InvariantCulture));
        }

        Optional(w, "previous_stage", c.PreviousStage);
        w.WriteNumber("timestamp", c.Timestamp);
        Optional(w, "user_id", c.UserId);
        w.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
