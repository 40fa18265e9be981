using System.CommandLine;
using System.Globalization;
using Keel.Client;
using Keel.Core.Deployments;
using Keel.Core.Errors;

namespace Keel.Cli.Commands;

public static partial class ClientCommands
{
    private static Command CreateDeployCommand()
    {
        var deploy = new Command("deploy", "Deployments served by keel server: create, update (routes, shadow, rollouts), rollback, history, list, show, verdict, delete.");
        deploy.Subcommands.Add(CreateDeployCreateCommand());
        deploy.Subcommands.Add(CreateDeployUpdateCommand());
        deploy.Subcommands.Add(CreateDeployRollbackCommand());
        deploy.Subcommands.Add(CreateDeployHistoryCommand());
        deploy.Subcommands.Add(CreateDeployListCommand());
        deploy.Subcommands.Add(CreateDeployShowCommand());
        deploy.Subcommands.Add(CreateDeployVerdictCommand());
        deploy.Subcommands.Add(CreateDeployDeleteCommand());
        return deploy;
    }

    /// <summary>The spec options of `create` and `update`.</summary>
    private sealed class SpecOptions
    {
        public Option<string[]> Routes { get; } = new("--route")
        {
            Description = "A route: URI[,weight=W][,name=N], e.g. models:/fraud/3,weight=90,name=stable (repeat for A/B/N; default weight 100).",
            AllowMultipleArgumentsPerToken = false,
        };

        public Option<string?> Shadow { get; } = new("--shadow") { Description = "A shadow model: URI[,share=S] (default share 0.1)." };

        public Option<bool> NoShadow { get; } = new("--no-shadow") { Description = "Remove the shadow." };

        public Option<string?> StickyHeader { get; } = new("--sticky-header") { Description = "A header whose value pins a caller to one route, e.g. X-Keel-Route-Key." };

        public Option<double?> SampleRate { get; } = new("--sample-rate") { Description = "Share of requests kept in the inference log (0 to 1; default 1)." };

        public Option<int?> RetentionDays { get; } = new("--retention-days") { Description = "Days inference records are kept (default 30)." };

        public Option<int?> MaxBatchSize { get; } = new("--max-batch-size")
        {
            Description = "Micro-batching: score concurrent requests in one model call of up to this many rows (pays for models whose call dominates a request; docs/benchmarks.md).",
        };

        public Option<double?> MaxWaitMs { get; } = new("--max-wait-ms") { Description = "Micro-batching: how long a request waits for others to join its call (default 2)." };

        public Option<bool> NoBatching { get; } = new("--no-batching") { Description = "Score each request on its own (the default)." };

        public Option<string?> Description { get; } = new("--description") { Description = "A description." };

        public Option<string?> Message { get; } = new("--message", "-m") { Description = "Why: recorded with the revision." };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Routes, Shadow, NoShadow, StickyHeader, SampleRate, RetentionDays, MaxBatchSize, MaxWaitMs, NoBatching, Description, Message })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The spec the options give, on top of <paramref name="current"/> (null: defaults).</summary>
        public DeploymentSpec Build(ParseResult parse, DeploymentSpec? current)
        {
            var routes = parse.GetValue(Routes) is { Length: > 0 } given
                ? [.. given.Select((r, i) => ParseRoute(r, i))]
                : current?.Routes ?? throw KeelException.Invalid("Give at least one --route URI[,weight=W][,name=N].");
            var shadow = parse.GetValue(NoShadow) ? null : parse.GetValue(Shadow) is { } s ? ParseShadow(s) : current?.Shadow;
            var log = current?.InferenceLog ?? InferenceLogSpec.Default;
            log = new InferenceLogSpec(parse.GetValue(SampleRate) ?? log.SampleRate, parse.GetValue(RetentionDays) ?? log.RetentionDays);
            return new DeploymentSpec(routes, shadow, parse.GetValue(StickyHeader) ?? current?.StickyHeader, log, Batching(parse, current?.Batching));
        }

        /// <summary>Micro-batching as the options change it: off with --no-batching, else either limit given on top of the current (or default) ones.</summary>
        private BatchingSpec? Batching(ParseResult parse, BatchingSpec? current)
        {
            if (parse.GetValue(NoBatching))
            {
                return null;
            }

            var rows = parse.GetValue(MaxBatchSize);
            var wait = parse.GetValue(MaxWaitMs);
            return rows is null && wait is null ? current : new BatchingSpec(rows ?? current?.MaxBatchSize ?? 32, wait ?? current?.MaxWaitMs ?? 2);
        }

        public bool ChangesSpec(ParseResult parse) =>
            parse.GetValue(Routes) is { Length: > 0 } || parse.GetValue(Shadow) is not null || parse.GetValue(NoShadow)
            || parse.GetValue(StickyHeader) is not null || parse.GetValue(SampleRate) is not null || parse.GetValue(RetentionDays) is not null
            || parse.GetValue(MaxBatchSize) is not null || parse.GetValue(MaxWaitMs) is not null || parse.GetValue(NoBatching);
    }

    private static Command CreateDeployCreateCommand()
    {
        var command = new Command("create", "Create a deployment; every model is loaded and warmed before it takes traffic.");
        var name = new Argument<string>("NAME") { Description = "The deployment's name (its endpoint is /deployments/NAME/invocations)." };
        command.Arguments.Add(name);
        var spec = new SpecOptions();
        spec.AddTo(command);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var created = await client.CreateDeploymentAsync(parse.GetValue(name)!, spec.Build(parse, null),
                parse.GetValue(spec.Description), parse.GetValue(spec.Message), ct);
            await WriteDeploymentsAsync(output, [created], ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDeployUpdateCommand()
    {
        var command = new Command("update", "Change a deployment's routes, shadow or settings (what is not given stays), or start a progressive rollout.");
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        command.Arguments.Add(name);
        var spec = new SpecOptions();
        spec.AddTo(command);
        var rollout = new Option<string?>("--rollout") { Description = "Roll this model URI out progressively over the current routes." };
        var steps = new Option<string>("--steps")
        {
            Description = "Rollout steps: WEIGHT[/HOLD] separated by commas, HOLD as seconds (300s) or requests (1000r), e.g. 10/300s,50/1000r,100.",
            DefaultValueFactory = _ => "10/300s,50/300s,100",
        };
        var maxErrors = new Option<double>("--max-error-rate-increase") { Description = "Gate: largest allowed new error rate minus current.", DefaultValueFactory = _ => RolloutGates.Default.MaxErrorRateIncrease };
        var maxP99 = new Option<double>("--max-p99-ratio") { Description = "Gate: largest allowed new p99 over current p99.", DefaultValueFactory = _ => RolloutGates.Default.MaxP99Ratio };
        var minRequests = new Option<long>("--min-requests") { Description = "Gate: requests the new model answers in a step before it is judged.", DefaultValueFactory = _ => RolloutGates.Default.MinRequests };
        foreach (var option in new Option[] { rollout, steps, maxErrors, maxP99, minRequests })
        {
            command.Options.Add(option);
        }

        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var deployment = parse.GetValue(name)!;
            DeploymentSpec? next = null;
            if (spec.ChangesSpec(parse))
            {
                next = spec.Build(parse, (await client.GetDeploymentAsync(deployment, ct)).Spec);
            }

            var plan = parse.GetValue(rollout) is { } uri
                ? new RolloutSpec(uri, ParseSteps(parse.GetValue(steps)!), new RolloutGates(parse.GetValue(maxErrors), parse.GetValue(maxP99), parse.GetValue(minRequests)))
                : null;
            var updated = await client.UpdateDeploymentAsync(deployment, next, plan, parse.GetValue(spec.Description), parse.GetValue(spec.Message), ct);
            await WriteDeploymentsAsync(output, [updated], ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDeployRollbackCommand()
    {
        var command = new Command("rollback", "Apply an earlier revision again (default: the one before the current).");
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        var revision = new Option<long?>("--revision", "-r") { Description = "The revision to return to." };
        var message = new Option<string?>("--message", "-m") { Description = "Why: recorded with the revision." };
        command.Arguments.Add(name);
        command.Options.Add(revision);
        command.Options.Add(message);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var back = await client.RollbackDeploymentAsync(parse.GetValue(name)!, parse.GetValue(revision), parse.GetValue(message), ct);
            await WriteDeploymentsAsync(output, [back], ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDeployHistoryCommand()
    {
        var command = new Command("history", "Revisions and recorded decisions (rollout gates, followed aliases), newest first.");
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var history = await client.GetDeploymentHistoryAsync(parse.GetValue(name)!, cancellationToken: ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(history, ct);
                return 0;
            }

            var revisions = CliOutput.NewTable("Revision", "Time", "Kind", "Serving", "User", "Message");
            foreach (var r in history.Revisions)
            {
                CliOutput.AddRow(revisions, r.Revision.ToString(CultureInfo.InvariantCulture), CliOutput.Time(DateTimeOffset.FromUnixTimeMilliseconds(r.Time)),
                    r.Kind, string.Join(", ", r.Versions), r.User, r.Message);
            }

            output.Write(revisions);
            if (history.Events.Count > 0)
            {
                var events = CliOutput.NewTable("Time", "Revision", "Event", "Message");
                foreach (var e in history.Events)
                {
                    CliOutput.AddRow(events, CliOutput.Time(DateTimeOffset.FromUnixTimeMilliseconds(e.Time)), e.Revision.ToString(CultureInfo.InvariantCulture), e.Kind, e.Message);
                }

                output.Write(events);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateDeployListCommand()
    {
        var command = new Command("list", "List deployments with what they serve.");
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await WriteDeploymentsAsync(output, await client.ListDeploymentsAsync(ct), ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDeployShowCommand()
    {
        var command = new Command("show", "Show one deployment.");
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await WriteDeploymentsAsync(output, [await client.GetDeploymentAsync(parse.GetValue(name)!, ct)], ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDeployVerdictCommand()
    {
        var command = new Command("verdict", "How the shadow model compares with the live one on the same requests.");
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            var verdict = await client.GetShadowVerdictAsync(parse.GetValue(name)!, cancellationToken: ct);
            if (output.Json)
            {
                await output.WriteJsonAsync(verdict, ct);
                return 0;
            }

            await output.WriteLineAsync($"{verdict.Deployment}: shadow version {verdict.ShadowVersion ?? "-"}, {verdict}", ct);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"latency live p50 {verdict.LiveP50Ms:0.###} ms, p99 {verdict.LiveP99Ms:0.###} ms; shadow p50 {verdict.ShadowP50Ms:0.###} ms, p99 {verdict.ShadowP99Ms:0.###} ms"), ct);
            return 0;
        });
        return command;
    }

    private static Command CreateDeployDeleteCommand()
    {
        var command = new Command("delete", "Delete a deployment (its endpoint stops answering).");
        var name = new Argument<string>("NAME") { Description = "The deployment." };
        command.Arguments.Add(name);
        SetClientAction(command, new CommonOptions(), async (parse, client, output, ct) =>
        {
            await client.DeleteDeploymentAsync(parse.GetValue(name)!, ct);
            await output.WriteLineAsync($"Deleted deployment {parse.GetValue(name)}.", ct);
            return 0;
        });
        return command;
    }

    private static async Task WriteDeploymentsAsync(CliOutput output, IReadOnlyList<DeploymentInfo> deployments, CancellationToken ct)
    {
        if (output.Json)
        {
            await output.WriteJsonAsync(deployments, ct);
            return;
        }

        // Micro-batching gets a column only when a listed deployment uses it (it is off by default).
        var batching = deployments.Any(d => d.Spec.Batching is not null);
        var table = CliOutput.NewTable(["Name", "Revision", "Status", "Serving", "Shadow", "Rollout", .. batching ? new[] { "Batching" } : [], "Updated"]);
        foreach (var d in deployments)
        {
            string?[] cells =
            [
                d.Name, d.Revision.ToString(CultureInfo.InvariantCulture), d.Status,
                string.Join(", ", d.Serving.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Route}={r.ModelName}/{r.Version} {r.Share:P0}"))),
                d.Shadow is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s.ModelName}/{s.Version} {s.Share:P0}") : "",
                d.Rollout is { } ro ? string.Create(CultureInfo.InvariantCulture, $"{ro.Spec.ModelUri} step {ro.Step + 1}/{ro.Spec.Steps.Count} {ro.Status}") : "",
                .. batching
                    ? new[] { d.Spec.Batching is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b.MaxBatchSize} rows, {b.MaxWaitMs} ms") : "" }
                    : [],
                CliOutput.Time(DateTimeOffset.FromUnixTimeMilliseconds(d.LastUpdatedTime)),
            ];
            CliOutput.AddRow(table, cells);
        }

        output.Write(table);
    }

    private static RouteSpec ParseRoute(string text, int index)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        string? name = null;
        var weight = 100.0;
        foreach (var part in parts.Skip(1))
        {
            var (key, value) = Pair(part, "--route");
            switch (key)
            {
                case "weight":
                    weight = Number(value, "--route weight");
                    break;
                case "name":
                    name = value;
                    break;
                default:
                    throw KeelException.Invalid($"Unknown --route setting '{key}': use weight=W or name=N.");
            }
        }

        return new RouteSpec(name ?? (index == 0 ? "primary" : $"route-{index + 1}"), parts[0], weight);
    }

    private static ShadowSpec ParseShadow(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var share = 0.1;
        foreach (var part in parts.Skip(1))
        {
            var (key, value) = Pair(part, "--shadow");
            share = key == "share" ? Number(value, "--shadow share") : throw KeelException.Invalid($"Unknown --shadow setting '{key}': use share=S.");
        }

        return new ShadowSpec(parts[0], share);
    }

    /// <summary>`10/300s,50/1000r,100`: weights in percent, each held for seconds (s) or requests (r).</summary>
    internal static IReadOnlyList<RolloutStep> ParseSteps(string text) => [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(step =>
    {
        var slash = step.IndexOf('/', StringComparison.Ordinal);
        var weight = Number(slash < 0 ? step : step[..slash], "--steps weight");
        if (slash < 0)
        {
            return new RolloutStep(weight, null, null);
        }

        var hold = step[(slash + 1)..];
        return hold.EndsWith('s') ? new RolloutStep(weight, Number(hold[..^1], "--steps hold"), null)
            : hold.EndsWith('r') ? new RolloutStep(weight, null, (long)Number(hold[..^1], "--steps hold"))
            : throw KeelException.Invalid($"Invalid --steps hold '{hold}': give seconds (300s) or requests (1000r).");
    })];

    private static (string Key, string Value) Pair(string part, string option)
    {
        var eq = part.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 ? (part[..eq], part[(eq + 1)..]) : throw KeelException.Invalid($"Invalid {option} setting '{part}': expected key=value.");
    }

    private static double Number(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw KeelException.Invalid($"Invalid {what} '{text}': expected a number.");
}
