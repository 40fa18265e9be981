// Experiments, the runs table of an experiment, and the comparison of 2–N runs.
import { fill, nameSearch, api, crumbs, empty, h, link, main, number, plural, quote, setQuery, table, time } from "./lib.js";
import { colour, join, lineChart, parallelCoordinates, scatterChart } from "./charts.js";
import { historyOf, seriesOf } from "./run.js";

const PAGE_SIZE = 50;
const SHOWN_KEYS = 6;

export async function experimentsPage(query) {
  const search = query.get("search") ?? "";
  document.title = "Experiments · Keel";
  const body = { max_results: 1000, order_by: ["creation_time DESC"] };
  if (search) body.filter = `name LIKE '%${quote(search)}%'`;
  const { experiments = [] } = await api("POST", "experiments/search", body);
  const form = nameSearch("experiments", "experiment-search", "Search experiments", search);
  fill(main,
    h("h1", {}, "Experiments"),
    form,
    table("Experiments", ["Name", "ID", "Created", "Artifact location"], experiments.map((x) => h("tr", {},
      h("td", {}, h("a", { href: link(["experiments", x.experiment_id]) }, x.name)),
      h("td", {}, x.experiment_id),
      h("td", {}, time(x.creation_time)),
      h("td", { class: "muted" }, x.artifact_location)))),
    h("p", { class: "muted" }, plural(experiments.length, "experiment")));
}

/** The keys (by how many runs have them, then name) of metrics or params on this page. */
function keysOf(runs, kind) {
  const counts = new Map();
  for (const run of runs) for (const item of run.data[kind] ?? []) counts.set(item.key, (counts.get(item.key) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
}

/**
 * The runs table: MLflow's filter language, sortable columns, a column picker (kept in the URL as
 * ?cols=m:key,p:key and remembered per experiment), pagination with page tokens, multi-select.
 */
export async function runsPage(experimentId, query) {
  const filter = query.get("filter") ?? "";
  const order = query.get("order") ?? "attributes.start_time DESC";
  const token = query.get("page") ?? undefined;
  const [{ experiment }, result] = await Promise.all([
    api("GET", `experiments/get?experiment_id=${encodeURIComponent(experimentId)}`),
    api("POST", "runs/search", { experiment_ids: [experimentId], filter, max_results: PAGE_SIZE, order_by: [order], page_token: token }),
  ]);
  document.title = `${experiment.name} · Keel`;
  const runs = result.runs ?? [];
  const allMetrics = keysOf(runs, "metrics");
  const allParams = keysOf(runs, "params");
  const remembered = `keel.columns.${experimentId}`;
  const chosen = query.get("cols") ?? localStorage.getItem(remembered);
  const columns = chosen !== null
    ? chosen.split(",").filter(Boolean).map((c) => ({ kind: c.startsWith("p:") ? "params" : "metrics", key: c.slice(2) }))
    : [...allMetrics.slice(0, SHOWN_KEYS).map((key) => ({ kind: "metrics", key })), ...allParams.slice(0, SHOWN_KEYS).map((key) => ({ kind: "params", key }))];

  const input = h("input", { type: "text", id: "run-filter", value: filter, placeholder: "metrics.accuracy > 0.9 and params.model = 'tree'" });
  const go = (changes) => {
    const next = new URLSearchParams(query);
    next.delete("page");
    for (const [k, v] of Object.entries(changes)) v ? next.set(k, v) : next.delete(k);
    location.hash = link(["experiments", experimentId], next);
  };
  const form = h("form", { class: "toolbar", role: "search", onsubmit: (e) => { e.preventDefault(); go({ filter: input.value }); } },
    h("label", { for: "run-filter" }, "Filter runs"), input, h("button", { type: "submit" }, "Apply"),
    filter ? h("button", { type: "button", onclick: () => go({ filter: "" }) }, "Clear") : null);

  const picker = columnPicker(allMetrics, allParams, columns, (next) => {
    const value = next.map((c) => `${c.kind === "params" ? "p" : "m"}:${c.key}`).join(",");
    localStorage.setItem(remembered, value);
    setQuery({ cols: value || "," });
  });

  const sortable = (label, field) => {
    const [current, direction] = order.split(/ (?=ASC$|DESC$)/);
    const active = current === field;
    const next = active && direction === "DESC" ? "ASC" : "DESC";
    return h("th", { scope: "col", "aria-sort": active ? (direction === "DESC" ? "descending" : "ascending") : "none" },
      h("button", { type: "button", onclick: () => go({ order: `${field} ${next}` }) }, label, active ? (direction === "DESC" ? " ▼" : " ▲") : ""));
  };
  const selected = new Set();
  const compare = h("button", { type: "button", disabled: true, onclick: () => {
    location.hash = link(["compare"], new URLSearchParams({ runs: [...selected].join(",") }));
  } }, "Compare selected");
  const pick = (runId, runName) => h("input", { type: "checkbox", "aria-label": `Select ${runName}`, onchange: (e) => {
    e.target.checked ? selected.add(runId) : selected.delete(runId);
    compare.disabled = selected.size < 2;
    compare.textContent = selected.size >= 2 ? `Compare selected (${selected.size})` : "Compare selected";
  } });
  const head = h("tr", {},
    h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Select")),
    h("th", { scope: "col" }, "Run"), sortable("Status", "attributes.status"), sortable("Started", "attributes.start_time"),
    columns.map((c) => sortable(c.kind === "params" ? `${c.key} (param)` : c.key, `${c.kind}.\`${c.key}\``)));
  const rows = runs.map((run) => {
    const values = { metrics: Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value])), params: Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value])) };
    return h("tr", {},
      h("td", {}, pick(run.info.run_id, run.info.run_name || run.info.run_id)),
      h("td", {}, h("a", { href: link(["runs", run.info.run_id]) }, run.info.run_name || run.info.run_id)),
      h("td", {}, run.info.status),
      h("td", {}, time(run.info.start_time)),
      columns.map((c) => h("td", { class: c.kind === "metrics" ? "n" : null }, c.key in values[c.kind] ? (c.kind === "metrics" ? number(values[c.kind][c.key]) : values[c.kind][c.key]) : "")));
  });

  const pager = h("div", { class: "pager" }, compare,
    token ? h("button", { type: "button", onclick: () => history.back() }, "Previous page") : null,
    result.next_page_token
      ? h("button", { type: "button", onclick: () => { const next = new URLSearchParams(query); next.set("page", result.next_page_token); location.hash = link(["experiments", experimentId], next); } }, "Next page")
      : null,
    h("span", { class: "muted", id: "run-count" }, `${plural(runs.length, "run")} on this page`));
  fill(main,
    crumbs(["Experiments", "#/experiments"], ""),
    h("h1", {}, experiment.name),
    form,
    picker,
    runs.length === 0 ? empty(filter ? "No run matches this filter." : "No run in this experiment yet.")
      : h("div", { class: "scroll" }, h("table", { "aria-label": "Runs" }, h("thead", {}, head), h("tbody", {}, rows))),
    pager);
}

function columnPicker(metrics, params, columns, apply) {
  const isOn = (kind, key) => columns.some((c) => c.kind === kind && c.key === key);
  const boxes = [];
  const group = (label, kind, keys) => keys.length === 0 ? null : h("fieldset", {}, h("legend", {}, label),
    keys.map((key) => {
      const box = h("input", { type: "checkbox", checked: isOn(kind, key), "data-kind": kind, "data-key": key });
      boxes.push(box);
      return h("label", { class: "check" }, box, ` ${key}`);
    }));
  // Columns chosen earlier that no run of this page has stay chosen.
  const absent = columns.filter((c) => !(c.kind === "metrics" ? metrics : params).includes(c.key));
  return h("details", { class: "columns" },
    h("summary", {}, `Columns (${columns.length} shown)`),
    h("form", { onsubmit: (e) => {
      e.preventDefault();
      apply([...boxes.filter((b) => b.checked).map((b) => ({ kind: b.dataset.kind, key: b.dataset.key })), ...absent]);
    } },
    group("Metrics", "metrics", metrics), group("Parameters", "params", params),
    h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Show these columns"))));
}

// --- Compare runs ----------------------------------------------------------------------------

export async function comparePage(runIds, query) {
  if (runIds.length < 2) throw new Error("Select at least two runs to compare.");
  const runs = (await Promise.all(runIds.map((id) => api("GET", `runs/get?run_id=${encodeURIComponent(id)}`)))).map((r) => r.run);
  document.title = `Compare ${runs.length} runs · Keel`;
  const name = (run) => run.info.run_name || run.info.run_id;
  const valuesOf = (kind) => runs.map((run) => Object.fromEntries((run.data[kind] ?? []).map((x) => [x.key, x.value])));
  const params = valuesOf("params");
  const metrics = valuesOf("metrics");
  const section = (label, kind, values, show) => {
    const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
    if (keys.length === 0) return empty(`No ${label.toLowerCase()}.`);
    return h("div", { class: "scroll" }, h("table", { "aria-label": label },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), runs.map((run) => h("th", { scope: "col" }, h("a", { href: link(["runs", run.info.run_id]) }, name(run)))))),
      h("tbody", {}, keys.map((key) => {
        const cells = values.map((v) => v[key]);
        const differs = new Set(cells.map(String)).size > 1;
        return h("tr", { class: differs ? "differs" : null, "data-differs": differs ? "true" : null },
          h("th", { scope: "row" }, key, differs ? h("span", { class: "visually-hidden" }, " (differs)") : null),
          cells.map((c) => h("td", { class: kind === "metrics" ? "n" : null }, c === undefined ? "—" : show(c))));
      }))));
  };
  const metricKeys = [...new Set(metrics.flatMap((v) => Object.keys(v)))].sort();
  const paramKeys = [...new Set(params.flatMap((v) => Object.keys(v)))].sort();
  fill(main,
    crumbs(["Experiments", "#/experiments"], [`experiment ${runs[0].info.experiment_id}`, link(["experiments", runs[0].info.experiment_id])], ""),
    h("h1", {}, `Compare ${runs.length} runs`),
    h("p", { class: "muted" }, "Rows whose values differ are highlighted."),
    h("h2", {}, "Parameters"), section("Parameters", "params", params, (v) => v),
    h("h2", {}, "Metrics (latest)"), section("Metrics", "metrics", metrics, number),
    metricKeys.length ? await overlay(runs, metricKeys, query, name) : null,
    metricKeys.length && paramKeys.length ? scatter(runs, params, metrics, paramKeys, metricKeys, query, name) : null,
    metricKeys.length && paramKeys.length ? parallel(runs, params, metrics, paramKeys, metricKeys, query, name) : null);
}

/** One metric's history of every run on one chart (x: step or time; runs aligned on x). */
async function overlay(runs, metricKeys, query, name) {
  const metric = metricKeys.includes(query.get("metric")) ? query.get("metric") : metricKeys[0];
  const axis = query.get("x") === "time" ? "time" : "step";
  const histories = await Promise.all(runs.map((run) => historyOf(run.info.run_id, metric)));
  const tables = histories.map((points) => { const s = seriesOf(points, axis); return [s.x, s.y]; });
  const withData = tables.map((t, i) => [t, i]).filter(([t]) => t[0].length > 0);
  const chart = withData.length === 0 ? empty(`No run logged ${metric}.`) : (() => {
    const joined = join(withData.map(([t]) => t));
    return lineChart({
      label: `${metric} by run`, description: `(${axis === "time" ? "wall time" : "step"})`,
      x: joined[0], xLabel: axis === "time" ? "time" : "step", xTime: axis === "time", xIntegers: axis === "step", yLabel: metric,
      series: withData.map(([, i], j) => ({ label: name(runs[i]), values: joined[j + 1], colour: colour(i) })),
    });
  })();
  const metricSelect = h("select", { id: "overlay-metric", onchange: (e) => setQuery({ metric: e.target.value }) },
    metricKeys.map((k) => h("option", { value: k, selected: k === metric }, k)));
  const axisSelect = h("select", { id: "overlay-x", onchange: (e) => setQuery({ x: e.target.value }) },
    h("option", { value: "step", selected: axis === "step" }, "step"), h("option", { value: "time", selected: axis === "time" }, "wall time"));
  return h("section", { "aria-label": "Metric history of every run" },
    h("h2", {}, "Metric history, overlaid"),
    h("div", { class: "toolbar" }, h("label", { for: "overlay-metric" }, "Metric"), metricSelect, h("label", { for: "overlay-x" }, "x axis"), axisSelect),
    chart);
}

/** One point per run: a parameter (numbers on a number axis, else categories) against a metric. */
function scatter(runs, params, metrics, paramKeys, metricKeys, query, name) {
  const param = paramKeys.includes(query.get("param")) ? query.get("param") : paramKeys[0];
  const metric = metricKeys.includes(query.get("y")) ? query.get("y") : metricKeys[0];
  const points = runs.map((run, i) => ({ i, p: params[i][param], m: metrics[i][metric] })).filter((p) => p.p !== undefined && p.m !== undefined);
  const numeric = points.every((p) => p.p.trim() !== "" && Number.isFinite(Number(p.p)));
  const labels = numeric ? null : [...new Set(points.map((p) => p.p))].sort();
  const xOf = (p) => (numeric ? Number(p.p) : labels.indexOf(p.p));
  points.sort((a, b) => xOf(a) - xOf(b));
  // One series per run (its own colour and legend entry), each with a value at its own x only.
  const chart = points.length === 0 ? empty(`No run has both ${param} and ${metric}.`) : scatterChart({
    label: `${metric} against ${param}`, description: "(one point per run)",
    x: points.map(xOf), xLabels: labels, xLabel: param, yLabel: metric,
    series: points.map((p, j) => ({ label: name(runs[p.i]), colour: colour(p.i), values: points.map((_, k) => (k === j ? p.m : null)) })),
  });
  const paramSelect = h("select", { id: "scatter-param", onchange: (e) => setQuery({ param: e.target.value }) },
    paramKeys.map((k) => h("option", { value: k, selected: k === param }, k)));
  const metricSelect = h("select", { id: "scatter-metric", onchange: (e) => setQuery({ y: e.target.value }) },
    metricKeys.map((k) => h("option", { value: k, selected: k === metric }, k)));
  return h("section", { "aria-label": "Parameter against metric" },
    h("h2", {}, "Parameter against metric"),
    h("div", { class: "toolbar" }, h("label", { for: "scatter-param" }, "Parameter"), paramSelect, h("label", { for: "scatter-metric" }, "Metric"), metricSelect),
    chart);
}

/** Every parameter and one metric as parallel axes, a line per run coloured by the metric. */
function parallel(runs, params, metrics, paramKeys, metricKeys, query, name) {
  const metric = metricKeys.includes(query.get("pc")) ? query.get("pc") : metricKeys[0];
  const shown = paramKeys.slice(0, 8);
  const select = h("select", { id: "parallel-metric", onchange: (e) => setQuery({ pc: e.target.value }) },
    metricKeys.map((k) => h("option", { value: k, selected: k === metric }, k)));
  return h("section", { "aria-label": "Parallel coordinates" },
    h("h2", {}, "Parallel coordinates"),
    h("div", { class: "toolbar" }, h("label", { for: "parallel-metric" }, "Coloured by"), select,
      paramKeys.length > shown.length ? h("span", { class: "muted" }, `first ${shown.length} of ${paramKeys.length} parameters`) : null),
    parallelCoordinates({
      label: `Parameters and ${metric}`, description: "(a line per run; runs without every value are left out)",
      dimensions: [...shown.map((k) => ({ label: k, values: params.map((p) => p[k]) })), { label: metric, values: metrics.map((m) => m[metric]) }],
      names: runs.map(name),
    }));
}
