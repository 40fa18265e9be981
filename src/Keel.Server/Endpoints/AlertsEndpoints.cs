using System.Text.Json;
using Keel.Core.Monitoring;
using Keel.Monitoring.Alerts;
using Keel.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Server.Endpoints;

/// <summary>Alert rules over monitor series and serving figures, their events and webhook deliveries (issue 7).</summary>
internal static class AlertsEndpoints
{
    public static void MapAlertsEndpoints(this MlflowRouteTable routes) => routes
        .Post("keel/alerts/rules", Permission.Manage, Create)
        .Add("PATCH", "keel/alerts/rules", Permission.Manage, Update)
        .Get("keel/alerts/rules", Permission.Read, Get)
        .Add("DELETE", "keel/alerts/rules", Permission.Manage, Delete)
        .Get("keel/alerts/rules/list", Permission.Read, List)
        .Get("keel/alerts/events", Permission.Read, Events)
        .Post("keel/alerts/evaluate", Permission.Edit, Evaluate);

    private static AlertService Service(MlflowRequest r) => r.Http.RequestServices.GetRequiredService<AlertService>();

    private static async Task<IResult> Create(MlflowRequest r) => Rule(await Service(r).CreateAsync(r.Args.RequiredString("name"), Spec(r), r.Ct));

    private static async Task<IResult> Update(MlflowRequest r) => Rule(await Service(r).UpdateAsync(r.Args.RequiredString("name"), Spec(r), r.Ct));

    private static async Task<IResult> Get(MlflowRequest r) => Rule(await Service(r).GetAsync(r.Args.RequiredString("name"), r.Ct));

    private static async Task<IResult> Delete(MlflowRequest r)
    {
        await Service(r).DeleteAsync(r.Args.RequiredString("name"), r.Ct);
        return JsonResult.Empty;
    }

    private static async Task<IResult> List(MlflowRequest r)
    {
        var rules = await Service(r).ListAsync(r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("rules");
            foreach (var rule in rules)
            {
                WriteRule(w, rule);
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Events newest first (`rule`, `since`, `max_results` ≤ 10,000), each with its webhook deliveries.</summary>
    private static async Task<IResult> Events(MlflowRequest r)
    {
        var service = Service(r);
        var events = await service.EventsAsync(r.Args.String("rule"), r.Args.Int64("since"), r.Args.Int32("max_results") ?? 100, r.Ct);
        var deliveries = new Dictionary<long, IReadOnlyList<AlertDelivery>>();
        foreach (var e in events)
        {
            deliveries[e.Id] = await service.DeliveriesAsync(e.Id, r.Ct);
        }

        return JsonResult.Object(w =>
        {
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                WriteEvent(w, e);
                w.WriteStartArray("deliveries");
                foreach (var d in deliveries[e.Id])
                {
                    w.WriteStartObject();
                    w.WriteString("url", d.Url);
                    w.WriteString("status", d.Status);
                    w.WriteNumber("attempts", d.Attempts);
                    if (d.HttpStatus is { } status)
                    {
                        w.WriteNumber("http_status", status);
                    }

                    if (d.Error is { } error)
                    {
                        w.WriteString("error", error);
                    }

                    w.WriteNumber("time", d.Time);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>Evaluates every rule now (the scheduler does it each tick) and answers the events raised.</summary>
    private static async Task<IResult> Evaluate(MlflowRequest r)
    {
        var raised = await Service(r).EvaluateAsync(r.Ct);
        return JsonResult.Object(w =>
        {
            w.WriteStartArray("events");
            foreach (var e in raised)
            {
                WriteEvent(w, e);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static AlertRuleSpec Spec(MlflowRequest r) =>
        EndpointHelpers.BodyObject(r, "spec", AlertRuleSpec.FromJson, "{\"monitor\" or \"deployment\", \"metric\", \"comparison\", \"threshold\", ...}");

    private static IResult Rule(AlertRuleView rule) => JsonResult.Object(w =>
    {
        w.WritePropertyName("rule");
        WriteRule(w, rule);
    });

    private static void WriteRule(Utf8JsonWriter w, AlertRuleView rule)
    {
        w.WriteStartObject();
        w.WriteString("name", rule.Name);
        w.WritePropertyName("spec");
        w.WriteRawValue(rule.Spec.ToJson());
        w.WriteString("state", rule.State);
        WriteOptional(w, "state_since", rule.StateSince);
        if (rule.LastValue is { } value)
        {
            w.WriteNumber("last_value", value);
        }

        WriteOptional(w, "last_evaluated", rule.LastEvaluated);
        w.WriteNumber("creation_time", rule.CreationTime);
        w.WriteNumber("last_updated_time", rule.LastUpdatedTime);
        w.WriteEndObject();
    }

    /// <summary>Writes an event's fields into a new object the caller ends.</summary>
    private static void WriteEvent(Utf8JsonWriter w, AlertEvent e)
    {
        w.WriteStartObject();
        w.WriteNumber("id", e.Id);
        w.WriteString("rule", e.Rule);
        w.WriteString("kind", e.Kind);
        w.WriteNumber("time", e.Time);
        if (e.Value is { } value)
        {
            w.WriteNumber("value", value);
        }

        w.WriteString("severity", e.Severity);
        w.WriteString("message", e.Message);
        if (e.Action is { } action)
        {
            w.WriteString("action", action);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}
