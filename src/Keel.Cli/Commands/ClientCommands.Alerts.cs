using System.CommandLine;
using System.Globalization;
using Keel.Monitoring.Alerts;

namespace Keel.Cli.Commands;

/// <summary>`keel monitor alert create|list|events|delete|evaluate` (issue 7).</summary>
public static partial class ClientCommands
{
    private static Command CreateMonitorAlertCommand()
    {
        var command = new Command("alert", "Alert rules over a monitor's series or a deployment's serving figures: firing and resolving are recorded and sent to webhooks.");
        command.Subcommands.Add(CreateAlertCreateCommand());
        command.Subcommands.Add(CreateAlertListCommand());
        command.Subcommands.Add(CreateAlertEventsCommand());
        command.Subcommands.Add(CreateAlertDeleteCommand());
        command.Subcommands.Add(CreateAlertEvaluateCommand());
        return command;
    }

    private static Command CreateAlertCreateCommand()
    {
        var command = new Command("create", "Create an alert rule, e.g. --monitor fraud-drift --metric drift_share --when '>= 0.5' --for 10m --webhook https://hooks.example/keel --secret S.");
        var name = new Argument<string>("NAME");
        var monitor = new Option<string?>("--monitor") { Description = "Watch this monitor's series (its latest window)." };
        var deployment = new Option<string?>("--deployment") { Description = "Watch this deployment's serving figures: requests, request_rate, error_rate, p50_latency_ms, p99_latency_ms." };
        var metric = new Option<string>("--metric") { Description = "The series (drift_share, accuracy, estimated_accuracy, statistic, missing_share…) or serving figure.", Required = true };
        var feature = new Option<string?>("--feature") { Description = "For a monitor: the feature of the series (default: window-level)." };
        var when = new Option<string>("--when") { Description = "Comparison and threshold, e.g. '>= 0.5' or '< 0.8'.", Required = true };
        var forDuration = new Option<string?>("--for") { Description = "How long the condition must hold before firing: 90s, 10m, 1h (default 0)." };
        var window = new Option<string?>("--window") { Description = "For a deployment: how far back the figure is computed (default 5m)." };
        var severity = new Option<string>("--severity") { Description = "info, warning or critical.", DefaultValueFactory = _ => "warning" };
        var webhooks = new Option<string[]>("--webhook") { Description = "A URL that receives firing and resolved events (repeatable)." };
        var secret = new Option<string?>("--secret") { Description = "Signs each webhook body: X-Keel-Signature: sha256=HMAC-SHA256(secret, body)." };
        var action = new Option<string?>("--action") { Description = "What to start when it fires, e.g. pipeline:retrain-fraud (recorded with every event)." };
        command.Arguments.Add(name);
        foreach (var option in new Option[] { monitor, deployment, metric, feature, when, forDuration, window, severity, webhooks, secret, action })
        {
            command.Options.Add(option);
        }

        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var condition = parse.GetValue(when)!.Trim();
            var operatorLength = condition.TakeWhile(c => c is '<' or '>' or '=' or '!').Count();
            if (operatorLength == 0 || !double.TryParse(condition[operatorLength..], NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold))
            {
                throw new ArgumentException($"--when must be a comparison and a number, like '>= 0.5', got '{condition}'.");
            }

            var spec = new AlertRuleSpec
            {
                Monitor = parse.GetValue(monitor),
                Deployment = parse.GetValue(deployment),
                Metric = parse.GetValue(metric)!,
                Feature = parse.GetValue(feature) ?? "",
                Comparison = condition[..operatorLength],
                Threshold = threshold,
                ForSeconds = parse.GetValue(forDuration) is { } f ? Seconds(f, "--for") : 0,
                WindowSeconds = parse.GetValue(window) is { } w ? Seconds(w, "--window") : 300,
                Severity = parse.GetValue(severity)!,
                Webhooks = parse.GetValue(webhooks) is { Length: > 0 } urls ? [.. urls.Select(u => new WebhookSpec(u, parse.GetValue(secret)))] : null,
                Action = parse.GetValue(action),
            };
            var rule = await client.CreateAlertRuleAsync(parse.GetValue(name)!, spec, ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(rule, ct);
            }
            else
            {
                await output.WriteLineAsync($"Created alert rule {rule.Name}: {Condition(rule.Spec)}.", ct);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateAlertListCommand()
    {
        var command = new Command("list", "Alert rules with their state (ok, pending, firing) and last value.");
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var rules = await client.ListAlertRulesAsync(ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(rules, ct);
                return 0;
            }

            var table = CliOutput.NewTable("Name", "Condition", "Severity", "State", "Last value", "Since");
            foreach (var r in rules)
            {
                CliOutput.AddRow(table, r.Name, Condition(r.Spec), r.Spec.Severity, r.State, r.LastValue is { } v ? CliOutput.Number(v) : "", Time(r.StateSince));
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateAlertEventsCommand()
    {
        var command = new Command("events", "Firing and resolved events, newest first, with their webhook deliveries.");
        var rule = new Argument<string?>("RULE") { Description = "Only this rule's events.", Arity = ArgumentArity.ZeroOrOne };
        var count = new Option<int>("--max-results") { Description = "How many events.", DefaultValueFactory = _ => 50 };
        command.Arguments.Add(rule);
        command.Options.Add(count);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var events = await client.GetAlertEventsAsync(parse.GetValue(rule), null, parse.GetValue(count), ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(events, ct);
                return 0;
            }

            var table = CliOutput.NewTable("Time", "Rule", "Event", "Severity", "Value", "Deliveries", "Message");
            foreach (var e in events)
            {
                CliOutput.AddRow(table, Time(e.Event.Time), e.Event.Rule, e.Event.Kind, e.Event.Severity, e.Event.Value is { } v ? CliOutput.Number(v) : "",
                    string.Join(", ", e.Deliveries.Select(d => $"{d.Status} ({d.Attempts} attempts)")), e.Event.Message);
            }

            output.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateAlertDeleteCommand()
    {
        var command = new Command("delete", "Delete an alert rule (its events stay as history).");
        var name = new Argument<string>("NAME");
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await client.DeleteAlertRuleAsync(parse.GetValue(name)!, ct);
            await output.WriteLineAsync($"Deleted alert rule {parse.GetValue(name)}.", ct);
            return 0;
        });
        return command;
    }

    private static Command CreateAlertEvaluateCommand()
    {
        var command = new Command("evaluate", "Evaluate every rule now (keel server does it every monitor tick) and print the events raised.");
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var events = await client.EvaluateAlertsAsync(ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(events, ct);
                return 0;
            }

            await output.WriteLineAsync(events.Count == 0 ? "No rule changed state." : string.Join(Environment.NewLine, events.Select(e => e.Message)), ct);
            return 0;
        });
        return command;
    }

    private static string Condition(AlertRuleSpec spec) =>
        (spec.Monitor is { } m ? $"monitor {m} {(spec.Feature.Length > 0 ? spec.Feature + "." : "")}{spec.Metric}" : $"deployment {spec.Deployment} {spec.Metric} over {spec.WindowSeconds}s")
        + $" {spec.Comparison} {spec.Threshold.ToString(CultureInfo.InvariantCulture)}" + (spec.ForSeconds > 0 ? $" for {spec.ForSeconds}s" : "");
}
