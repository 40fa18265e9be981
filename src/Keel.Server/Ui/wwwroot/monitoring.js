// Monitoring: monitors and alerts, a monitor's drift and quality time series, and the drill-down
// of one feature (reference vs current histogram, its statistic over time).
import { fill, crumbs, empty, h, keel, link, listSearch, main, number, percent, plural, showError, table, time } from "./lib.js";
import { barChart, lineChart } from "./charts.js";

const reference = (spec) => spec.reference?.dataset ?? spec.reference?.artifact ?? (spec.reference?.training_data ? "training data" : "");
const condition = (spec) => `${spec.monitor ? `monitor ${spec.monitor}` : `deployment ${spec.deployment}`} ${spec.feature ? spec.feature + "." : ""}${spec.metric} ${spec.comparison} ${spec.threshold}${spec.for_seconds ? ` for ${spec.for_seconds}s` : ""}`;

export async function monitorsPage() {
  document.title = "Monitoring · Keel";
  const [{ monitors = [] }, { rules = [] }, { events = [] }] = await Promise.all([
    keel("GET", "monitors/list"), keel("GET", "alerts/rules/list"), keel("GET", "alerts/events?max_results=50"),
  ]);
  const rows = monitors.map((m) => [h("tr", {},
    h("td", {}, h("a", { href: link(["monitors", m.name]) }, m.name)),
    h("td", {}, h("a", { href: link(["deployments", m.deployment]) }, m.deployment)),
    h("td", {}, reference(m.spec)),
    h("td", {}, m.spec.schedule_seconds ? `every ${m.spec.schedule_seconds}s` : "on demand"),
    h("td", {}, time(m.last_run_time))), m]);
  fill(main,
    h("h1", {}, "Monitoring"),
    h("h2", {}, "Monitors"),
    monitors.length === 0 ? empty("No monitor yet: keel monitor create NAME -d DEPLOYMENT --reference-dataset NAME@VERSION.") : [
      listSearch("monitor-search", "Search monitors", rows, (m) => `${m.name} ${m.deployment} ${reference(m.spec)}`),
      table("Monitors", ["Name", "Deployment", "Reference", "Schedule", "Last run"], rows.map(([row]) => row))],
    alerts(rules, events));
}

/** Alert rules (firing first), then the history of firing and resolved events. */
function alerts(rules, events) {
  const firing = rules.filter((r) => r.state === "firing");
  const sorted = [...rules].sort((a, b) => Number(b.state === "firing") - Number(a.state === "firing") || a.name.localeCompare(b.name));
  return [
    h("h2", {}, "Alerts"),
    h("p", { class: firing.length ? "bad" : "ok", id: "alert-summary" }, firing.length ? `${plural(firing.length, "rule")} firing: ${firing.map((r) => r.name).join(", ")}.` : "Nothing is firing."),
    rules.length === 0 ? empty("No alert rule.") : (() => {
      const rows = sorted.map((r) => [h("tr", { class: r.state === "firing" ? "firing" : null },
        h("td", {}, h("a", { href: link(["alerts", r.name]) }, r.name)), h("td", {}, condition(r.spec)), h("td", {}, r.spec.severity), h("td", {}, r.state),
        h("td", { class: "n" }, r.last_value === undefined ? "" : number(r.last_value)), h("td", {}, time(r.state_since))), r]);
      return [listSearch("rule-search", "Search alert rules", rows, (r) => `${r.name} ${condition(r.spec)} ${r.spec.severity} ${r.state}`, "rules"),
        table("Alert rules", ["Name", "Condition", "Severity", "State", "Last value", "Since"], rows.map(([row]) => row))];
    })(),
    h("h3", {}, "Alert history"),
    events.length === 0 ? empty("No alert has fired.")
      : (() => {
        const rows = events.map((e) => [h("tr", { class: e.kind },
          h("td", {}, time(e.time)), h("td", {}, e.rule), h("td", {}, e.kind), h("td", {}, e.message),
          h("td", {}, (e.deliveries ?? []).map((d) => `${d.status} (${d.attempts})`).join(", "))), e]);
        return [listSearch("event-search", "Search alert events", rows, (e) => `${e.rule} ${e.kind} ${e.message}`, "events"),
          table("Alert events", ["Time", "Rule", "Event", "Message", "Deliveries"], rows.map(([row]) => row))];
      })(),
  ];
}

export async function monitorPage(name) {
  const [{ monitor }, { results = [] }, { points = [] }, { rules = [] }, { events = [] }] = await Promise.all([
    keel("GET", `monitors?name=${encodeURIComponent(name)}`),
    keel("GET", `monitors/results?name=${encodeURIComponent(name)}&max_results=100`),
    keel("GET", `monitors/metrics?name=${encodeURIComponent(name)}&feature=`),
    keel("GET", "alerts/rules/list"),
    keel("GET", "alerts/events?max_results=200"),
  ]);
  document.title = `${monitor.name} · Monitoring · Keel`;
  const byMetric = new Map();
  for (const p of points) {
    if (p.feature !== "") continue;
    if (!byMetric.has(p.metric)) byMetric.set(p.metric, new Map());
    byMetric.get(p.metric).set(p.window_end, p.value);
  }
  const value = (end, metric) => { const v = byMetric.get(metric)?.get(end); return v === undefined ? "" : number(v); };
  const status = h("span", { class: "muted", role: "status" });
  const runNow = h("button", { type: "button", onclick: async () => {
    try {
      runNow.disabled = true;
      status.textContent = "Computing the window…";
      await keel("POST", "monitors/run", { name: monitor.name });
      await monitorPage(name);
    } catch (error) { showError(error); runNow.disabled = false; status.textContent = ""; }
  } }, "Run now");
  const report = (end) => `/api/2.0/keel/monitors/report?name=${encodeURIComponent(monitor.name)}&window_end=${end}&format=html`;
  const ends = [...new Set(points.filter((p) => p.feature === "").map((p) => p.window_end))].sort((a, b) => a - b);
  const seriesOf = (metric) => ends.map((e) => byMetric.get(metric)?.get(e) ?? null);
  const quality = [...byMetric.keys()].filter((k) => /accuracy|f1|precision|recall|rmse|mae|r2|auc|log_loss/.test(k));
  const latest = results[0];
  const ownRules = rules.filter((r) => r.spec.monitor === monitor.name || (!r.spec.monitor && r.spec.deployment === monitor.deployment));
  const ownEvents = events.filter((e) => ownRules.some((r) => r.name === e.rule));
  fill(main,
    crumbs(["Monitoring", "#/monitors"], ""),
    h("h1", {}, monitor.name),
    h("p", { class: "muted" }, `Deployment `, h("a", { href: link(["deployments", monitor.deployment]) }, monitor.deployment), `; reference ${reference(monitor.spec)}; ${monitor.spec.window_requests ? `latest ${monitor.spec.window_requests} requests` : `${monitor.spec.window_seconds ?? 3600} s windows`}; ${monitor.spec.schedule_seconds ? `every ${monitor.spec.schedule_seconds} s` : "on demand"}.`),
    h("div", { class: "toolbar" }, runNow, status),
    ends.length === 0 ? empty("No window computed yet.") : h("div", { class: "charts" },
      lineChart({ label: "Drift over time", description: "(share of drifted features per window; dataset drift is 1 when the share crossed its threshold)", x: ends.map((e) => e / 1000), xTime: true, xLabel: "window end", yLabel: "share",
        series: [{ label: "drift share", values: seriesOf("drift_share"), points: true }, { label: "dataset drift", values: seriesOf("dataset_drift"), colour: "#cf222e", dash: [4, 4], points: true }], height: 220 }),
      quality.length ? lineChart({ label: "Quality over time", description: "(realised once feedback arrived; estimated from probabilities otherwise)", x: ends.map((e) => e / 1000), xTime: true, xLabel: "window end", yLabel: "value",
        series: quality.map((k) => ({ label: k.replaceAll("_", " "), values: seriesOf(k), points: true })), height: 220 }) : empty("No quality metric yet: send feedback (ground truth) or log probabilities."),
      lineChart({ label: "Rows per window", x: ends.map((e) => e / 1000), xTime: true, xLabel: "window end", yLabel: "rows",
        series: [{ label: "rows", values: seriesOf("rows"), points: true }, { label: "labelled", values: seriesOf("rows_with_actual"), points: true }], height: 180 })),
    latest ? await latestFeatures(monitor, latest) : null,
    h("h2", {}, "Windows"),
    results.length === 0 ? empty("No window computed yet.")
      : table("Windows", ["Window end", "Rows", "Labelled", "Drift share", "Dataset drift", "Accuracy", "Estimated accuracy", "Report"], results.map((r) => h("tr", {},
        h("td", {}, time(r.window_end)),
        h("td", { class: "n" }, r.rows),
        h("td", { class: "n" }, value(r.window_end, "rows_with_actual")),
        h("td", { class: "n" }, value(r.window_end, "drift_share")),
        h("td", {}, r.dataset_drift ? "drift" : "no drift"),
        h("td", { class: "n" }, value(r.window_end, "accuracy")),
        h("td", { class: "n" }, value(r.window_end, "estimated_accuracy")),
        h("td", {}, h("a", { href: link(["monitors", monitor.name, "windows", String(r.window_end)]) }, "features"), " · ", h("a", { href: report(r.window_end) }, "HTML report"))))),
    h("h2", {}, "Alerts on this monitor"),
    ownRules.length === 0 ? empty("No alert rule watches this monitor.") : [
      table("Alert rules", ["Name", "Condition", "Severity", "State"], ownRules.map((r) => h("tr", { class: r.state === "firing" ? "firing" : null },
        h("td", {}, h("a", { href: link(["alerts", r.name]) }, r.name)), h("td", {}, condition(r.spec)), h("td", {}, r.spec.severity), h("td", {}, r.state)))),
      ownEvents.length === 0 ? empty("No alert has fired.") : h("ul", { class: "events", "aria-label": "Alert history" }, ownEvents.map((e) => h("li", { class: e.kind }, `${time(e.time)} · ${e.kind} · ${e.message}`)))],
  );
}

/** The features of one window: the deciding statistic, drifted or not, and a link to each drill-down. */
async function latestFeatures(monitor, result, heading = "Features in the latest window") {
  const { report } = await keel("GET", `monitors/report?name=${encodeURIComponent(monitor.name)}&window_end=${result.window_end}`);
  const features = [...report.data_drift.features, report.prediction_drift, report.target_drift].filter(Boolean);
  return [
    h("h2", {}, heading, h("span", { class: "muted" }, ` (${time(result.window_end)}: ${plural(report.data_drift.drifted_features, "feature")} of ${report.data_drift.feature_count} drifted)`)),
    table("Features", ["Feature", "Kind", "Method", "Statistic", "Threshold", "Drift", "Missing (current)"], features.map((f) => h("tr", { class: f.drifted ? "firing" : null },
      h("td", {}, h("a", { href: link(["monitors", monitor.name, "features", f.name], new URLSearchParams({ window: String(result.window_end) })) }, f.name)),
      h("td", {}, f.kind), h("td", {}, f.method), h("td", { class: "n" }, f.statistic === undefined || f.statistic === null ? "" : number(f.statistic)),
      h("td", { class: "n" }, number(f.threshold)), h("td", {}, f.drifted ? "drift" : "no drift"),
      h("td", { class: "n" }, f.current_count + f.current_missing > 0 ? percent(f.current_missing / (f.current_count + f.current_missing)) : "")))),
  ];
}

export async function monitorWindowPage(name, windowEnd) {
  const { monitor } = await keel("GET", `monitors?name=${encodeURIComponent(name)}`);
  document.title = `${monitor.name}, window ${time(Number(windowEnd))} · Keel`;
  fill(main,
    crumbs(["Monitoring", "#/monitors"], [monitor.name, link(["monitors", monitor.name])], ""),
    h("h1", {}, `${monitor.name}: window ending ${time(Number(windowEnd))}`),
    await latestFeatures(monitor, { window_end: Number(windowEnd) }, "Features"));
}

/** One feature: reference vs current histogram in the chosen window, and its statistics over time. */
export async function featurePage(name, feature, query) {
  const [{ monitor }, { results = [] }, { points = [] }] = await Promise.all([
    keel("GET", `monitors?name=${encodeURIComponent(name)}`),
    keel("GET", `monitors/results?name=${encodeURIComponent(name)}&max_results=100`),
    keel("GET", `monitors/metrics?name=${encodeURIComponent(name)}&feature=${encodeURIComponent(feature)}`),
  ]);
  const windowEnd = Number(query.get("window") ?? results[0]?.window_end);
  if (!windowEnd) throw new Error(`Monitor ${name} has no window yet.`);
  const { report } = await keel("GET", `monitors/report?name=${encodeURIComponent(name)}&window_end=${windowEnd}`);
  const f = [...report.data_drift.features, report.prediction_drift, report.target_drift].filter(Boolean).find((x) => x.name === feature);
  if (!f) throw new Error(`Feature '${feature}' is not in the window ending ${time(windowEnd)}.`);
  document.title = `${feature} · ${monitor.name} · Keel`;
  const hist = f.histogram;
  const share = (counts) => { const total = counts.reduce((a, b) => a + b, 0); return counts.map((c) => (total ? c / total : 0)); };
  const categories = hist ? hist.categories ?? hist.reference.map((_, i) => `${number(hist.edges[i])}–${number(hist.edges[i + 1])}`) : [];
  const ends = [...new Set(points.map((p) => p.window_end))].sort((a, b) => a - b);
  const at = new Map(points.map((p) => [`${p.window_end}/${p.metric}`, p.value]));
  const stat = (k, v) => (v === undefined || v === null ? null : [h("dt", {}, k), h("dd", {}, typeof v === "number" ? number(v) : Array.isArray(v) ? v.join(", ") || "none" : String(v))]);
  const windowSelect = h("select", { id: "feature-window", onchange: (e) => { location.hash = link(["monitors", name, "features", feature], new URLSearchParams({ window: e.target.value })); } },
    results.map((r) => h("option", { value: r.window_end, selected: r.window_end === windowEnd }, time(r.window_end))));
  fill(main,
    crumbs(["Monitoring", "#/monitors"], [monitor.name, link(["monitors", monitor.name])], ""),
    h("h1", {}, `${feature}`),
    h("div", { class: "toolbar" }, h("label", { for: "feature-window" }, "Window ending"), windowSelect),
    h("p", { id: "feature-verdict", class: f.drifted ? "bad" : "ok" }, f.drifted ? "Drift detected" : "No drift",
      ` by ${f.method}: statistic ${f.statistic === null || f.statistic === undefined ? "n/a" : number(f.statistic)}, threshold ${number(f.threshold)}.`, f.note ? ` ${f.note}` : ""),
    h("div", { class: "charts" },
      hist ? barChart({ label: `Reference vs current: ${feature}`, description: "(share of rows per bin)", categories, labels: hist.categories ?? hist.reference.map((_, i) => number(hist.edges[i])), yLabel: "share",
        series: [{ label: `reference (${f.reference_count} rows)`, values: share(hist.reference), colour: "#57606a" }, { label: `current (${f.current_count} rows)`, values: share(hist.current), colour: "#0969da" }] })
        : empty("No histogram for this feature."),
      ends.length > 1 ? lineChart({ label: `${feature} over time`, description: `(the deciding statistic, ${f.method}, per window against its threshold)`, x: ends.map((e) => e / 1000), xTime: true, xLabel: "window end", yLabel: f.method,
        series: [{ label: `statistic (${f.method})`, values: ends.map((e) => at.get(`${e}/statistic`) ?? null), points: true },
          { label: "threshold", values: ends.map(() => f.threshold), colour: "#cf222e", dash: [4, 4] }], height: 220 }) : empty("One window so far: the time series starts with the second.")),
    h("h2", {}, "Statistics in this window"),
    h("dl", { class: "facts" },
      stat("kind", f.kind), stat("reference rows", f.reference_count), stat("current rows", f.current_count),
      stat("missing in reference", f.reference_missing), stat("missing in current", f.current_missing),
      stat("PSI", f.psi), stat("Jensen–Shannon", f.jensen_shannon), stat("KS statistic", f.ks_statistic), stat("KS p-value", f.ks_p_value),
      stat("Wasserstein", f.wasserstein), stat("Wasserstein (normed)", f.wasserstein_normed), stat("chi-square", f.chi_square_statistic),
      stat("chi-square p-value", f.chi_square_p_value), stat("new categories", f.new_categories), stat("missing categories", f.missing_categories),
      stat("values of another type", f.type_errors)));
}

/** One alert rule: its condition and state, the watched metric against the threshold, and every event it raised. */
export async function alertPage(name) {
  const [{ rule }, { events = [] }] = await Promise.all([
    keel("GET", `alerts/rules?name=${encodeURIComponent(name)}`),
    keel("GET", `alerts/events?rule=${encodeURIComponent(name)}&max_results=500`),
  ]);
  document.title = `${rule.name} · Alerts · Keel`;
  const spec = rule.spec;
  const series = spec.monitor
    ? (await keel("GET", `monitors/metrics?name=${encodeURIComponent(spec.monitor)}&feature=${encodeURIComponent(spec.feature ?? "")}&metric=${encodeURIComponent(spec.metric)}`).catch(() => ({ points: [] }))).points ?? []
    : [];
  fill(main,
    crumbs(["Monitoring", "#/monitors"], ""),
    h("h1", {}, rule.name),
    h("p", { id: "alert-state", class: rule.state === "firing" ? "bad" : "ok" }, `${rule.state}${rule.state_since ? ` since ${time(rule.state_since)}` : ""}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Condition"), h("dd", {}, condition(spec)),
      h("dt", {}, "Watches"), h("dd", {}, spec.monitor ? h("a", { href: link(["monitors", spec.monitor]) }, `monitor ${spec.monitor}`) : h("a", { href: link(["deployments", spec.deployment]) }, `deployment ${spec.deployment}`)),
      h("dt", {}, "Severity"), h("dd", {}, spec.severity),
      h("dt", {}, "Last value"), h("dd", {}, rule.last_value === undefined ? "—" : number(rule.last_value)),
      h("dt", {}, "Last evaluated"), h("dd", {}, time(rule.last_evaluated) || "never"),
      h("dt", {}, "Notifies"), h("dd", {}, (spec.webhooks ?? []).map((w) => w.url).join(", ") || "no webhook"),
      spec.action ? [h("dt", {}, "Action"), h("dd", {}, spec.action)] : null,
      spec.description ? [h("dt", {}, "Description"), h("dd", {}, spec.description)] : null),
    series.length > 0 ? lineChart({
      label: `${spec.feature ? `${spec.feature}.` : ""}${spec.metric} against the threshold`, x: series.map((p) => p.window_end / 1000), xTime: true, xLabel: "window end", yLabel: spec.metric,
      series: [{ label: spec.metric, values: series.map((p) => p.value), points: true }, { label: `threshold (${spec.comparison} ${spec.threshold})`, values: series.map(() => spec.threshold), colour: "#cf222e", dash: [4, 4] }], height: 220,
    }) : null,
    h("h2", {}, "Events"),
    events.length === 0 ? empty("This rule has not fired.")
      : table("Events", ["Time", "Event", "Value", "Message", "Deliveries"], events.map((e) => h("tr", { class: e.kind },
        h("td", {}, time(e.time)), h("td", {}, e.kind), h("td", { class: "n" }, e.value === undefined ? "" : number(e.value)), h("td", {}, e.message),
        h("td", {}, (e.deliveries ?? []).map((d) => `${d.url ?? ""} ${d.status} after ${plural(d.attempts, "attempt")}${d.http_status ? ` (HTTP ${d.http_status})` : ""}`).join("; "))))));
}
