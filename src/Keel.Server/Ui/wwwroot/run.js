// One run: facts, parameters, metrics with history charts, inputs, tags and the artifacts browser.
import { fill, api, bytes, crumbs, empty, h, link, main, number, setQuery, showError, table, time } from "./lib.js";
import { lineChart, smooth } from "./charts.js";

/** A metric's whole history (get-history follows its page tokens; without max_results it is one page). */
export async function historyOf(runId, key) {
  let points = null;
  let token;
  do {
    const page = await api("GET", `metrics/get-history?run_id=${encodeURIComponent(runId)}&metric_key=${encodeURIComponent(key)}${token ? `&page_token=${encodeURIComponent(token)}` : ""}`);
    // One page (the usual answer) is used as it came; later pages are appended.
    if (points === null) points = page.metrics ?? [];
    else for (const p of page.metrics ?? []) points.push(p);
    token = page.next_page_token;
  } while (token);
  return points;
}

const value = (v) => { const n = typeof v === "number" ? v : Number(v); return Number.isFinite(n) ? n : null; };

/** x and y arrays of a history on an axis: "step", "time" (seconds since the epoch) or "relative" (seconds since the first point). */
export function seriesOf(points, axis) {
  const n = points.length;
  if (axis === "step") {
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = Number(points[i - 1].step ?? 0) <= Number(points[i].step ?? 0);
    const order = sorted ? points : [...points].sort((a, b) => Number(a.step ?? 0) - Number(b.step ?? 0) || Number(a.timestamp) - Number(b.timestamp));
    const x = new Array(n);
    const y = new Array(n);
    for (let i = 0; i < n; i++) { x[i] = Number(order[i].step ?? 0); y[i] = value(order[i].value); }
    return { x, y };
  }
  // The API orders a history by timestamp already.
  const t0 = n ? Number(points[0].timestamp) : 0;
  const x = new Array(n);
  const y = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = Number(points[i].timestamp);
    x[i] = axis === "time" ? t / 1000 : (t - t0) / 1000;
    y[i] = value(points[i].value);
  }
  return { x, y };
}

export async function runPage(runId, query) {
  // A chart named in the URL starts loading with the run, not after it.
  const early = query.get("metric") ? { key: query.get("metric"), points: historyOf(runId, query.get("metric")).catch(() => null) } : null;
  const { run } = await api("GET", `runs/get?run_id=${encodeURIComponent(runId)}`);
  const info = run.info;
  document.title = `${info.run_name || info.run_id} · Keel`;
  const keyValue = (label, items, cell) => items.length === 0 ? empty(`No ${label.toLowerCase()}.`)
    : table(label, ["Key", "Value"], items.map((item) => h("tr", {}, h("td", {}, item.key), cell(item))));
  const tags = (run.data.tags ?? []).filter((t) => !t.key.startsWith("mlflow."));
  const metrics = run.data.metrics ?? [];
  const inputs = run.inputs?.dataset_inputs ?? [];
  fill(main,
    crumbs(["Experiments", "#/experiments"], [`experiment ${info.experiment_id}`, link(["experiments", info.experiment_id])], ""),
    h("h1", {}, info.run_name || info.run_id),
    h("dl", { class: "facts" },
      h("dt", {}, "Run ID"), h("dd", {}, info.run_id),
      h("dt", {}, "Status"), h("dd", {}, info.status),
      h("dt", {}, "Started"), h("dd", {}, time(info.start_time)),
      h("dt", {}, "Ended"), h("dd", {}, time(info.end_time)),
      h("dt", {}, "Artifacts"), h("dd", {}, info.artifact_uri)),
    h("h2", {}, "Parameters"), keyValue("Parameters", run.data.params ?? [], (p) => h("td", {}, p.value)),
    h("h2", {}, "Metrics (latest)"),
    keyValue("Metrics", metrics, (m) => h("td", { class: "n" }, number(m.value), " ",
      h("a", { href: link(["runs", runId], new URLSearchParams({ ...Object.fromEntries(query), metric: m.key })), "aria-label": `Chart of ${m.key}` }, "chart"))),
    metrics.length ? h("section", { id: "metric-chart", "aria-label": "Metric history" }) : null,
    h("h2", {}, "Inputs"),
    inputs.length === 0 ? empty("No dataset recorded as an input.")
      : table("Inputs", ["Dataset", "Digest", "Source", "Context"], inputs.map((input) => {
        const d = input.dataset;
        const context = (input.tags ?? []).find((t) => t.key === "mlflow.data.context")?.value ?? "";
        return h("tr", {},
          h("td", {}, d.source_type === "keel" ? h("a", { href: link(["datasets", d.name, d.digest]) }, d.name) : d.name),
          h("td", {}, d.digest), h("td", {}, d.source), h("td", {}, context));
      })),
    h("h2", {}, "Tags"), keyValue("Tags", tags, (t) => h("td", {}, t.value)),
    h("h2", {}, "Artifacts"), h("section", { id: "artifacts", "aria-label": "Artifacts" }, artifactsBrowser(info, query)));
  if (metrics.length) await metricChart(runId, metrics.map((m) => m.key).sort(), query, early);
}

/** The history chart of one metric: step / wall-time / relative-time axis, smoothing, log scale. */
async function metricChart(runId, keys, query, early) {
  const section = document.getElementById("metric-chart");
  const key = keys.includes(query.get("metric")) ? query.get("metric") : keys[0];
  const state = {
    axis: ["step", "time", "relative"].includes(query.get("x")) ? query.get("x") : "step",
    weight: Math.min(0.99, Math.max(0, Number(query.get("smooth") ?? 0) || 0)),
    log: query.get("log") === "1",
  };
  fill(section, h("h2", {}, `History of ${key}`), h("p", { class: "muted" }, "Loading the history…"));
  const started = performance.now();
  const points = (early?.key === key ? await early.points : null) ?? await historyOf(runId, key);
  const fetched = performance.now() - started;

  const metricSelect = h("select", { id: "chart-metric", onchange: (e) => setQuery({ metric: e.target.value }) },
    keys.map((k) => h("option", { value: k, selected: k === key }, k)));
  const axisSelect = h("select", { id: "chart-x" }, [["step", "step"], ["time", "wall time"], ["relative", "relative time (s)"]]
    .map(([v, label]) => h("option", { value: v, selected: v === state.axis }, label)));
  const slider = h("input", { type: "range", id: "chart-smooth", min: 0, max: 0.99, step: 0.01, value: state.weight });
  const sliderValue = h("output", { for: "chart-smooth" }, state.weight.toFixed(2));
  const logBox = h("input", { type: "checkbox", id: "chart-log", checked: state.log });
  const holder = h("div");
  const draw = () => {
    const { x, y } = seriesOf(points, state.axis);
    const smoothed = smooth(y, state.weight);
    const dropped = state.log ? y.filter((v) => v !== null && v <= 0).length : 0;
    const series = state.weight > 0
      ? [{ label: `${key} (raw)`, values: y, faint: true }, { label: `${key} (smoothed ${state.weight.toFixed(2)})`, values: smoothed, width: 2 }]
      : [{ label: key, values: y }];
    fill(holder, 
      lineChart({
        label: `${key}`, description: `${points.length.toLocaleString("en")} points, x: ${state.axis === "time" ? "wall time" : state.axis === "relative" ? "seconds since the first point" : "step"}${state.log ? ", log scale" : ""}`,
        x, series, xLabel: state.axis === "step" ? "step" : state.axis === "time" ? "time" : "seconds", yLabel: key, xTime: state.axis === "time", xIntegers: state.axis === "step", logY: state.log, height: 320,
      }),
      dropped ? h("p", { class: "muted" }, `${dropped} values ≤ 0 are left out on a log scale.`) : null);
  };
  const keep = () => setQuery({ x: state.axis === "step" ? null : state.axis, smooth: state.weight > 0 ? state.weight : null, log: state.log ? "1" : null }, { replace: true });
  axisSelect.addEventListener("change", () => { state.axis = axisSelect.value; keep(); draw(); });
  logBox.addEventListener("change", () => { state.log = logBox.checked; keep(); draw(); });
  slider.addEventListener("input", () => { sliderValue.textContent = Number(slider.value).toFixed(2); });
  slider.addEventListener("change", () => { state.weight = Number(slider.value); sliderValue.textContent = state.weight.toFixed(2); keep(); draw(); });
  fill(section, 
    h("h2", {}, "Metric history"),
    h("div", { class: "toolbar" },
      h("label", { for: "chart-metric" }, "Metric"), metricSelect,
      h("label", { for: "chart-x" }, "x axis"), axisSelect,
      h("label", { for: "chart-smooth" }, "Smoothing"), slider, sliderValue,
      h("label", { class: "check" }, logBox, " log scale")),
    points.length === 0 ? empty(`No history for ${key}.`) : holder);
  section.dataset.fetchMs = String(Math.round(fetched));
  if (points.length) draw();
}

// --- Artifacts -------------------------------------------------------------------------------

const TEXT = /\.(txt|log|md|py|r|sql|sh|ini|cfg|toml|conf|xml|html|yaml|yml|json|csv|tsv)$|(^|\/)(MLmodel|MLproject|requirements\.txt|conda\.yaml|python_env\.yaml)$/i;
const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
const PREVIEW_LIMIT = 1 << 20;

const download = (runId, path) => `/get-artifact?path=${encodeURIComponent(path)}&run_uuid=${encodeURIComponent(runId)}`;

/** A folder tree read with artifacts/list (one request per opened folder) and a preview pane. */
function artifactsBrowser(info, query) {
  const preview = h("div", { class: "preview", id: "artifact-preview", "aria-live": "polite" }, empty("Select a file to preview it."));
  const tree = h("ul", { class: "tree", role: "tree", "aria-label": "Artifact files" });
  const open = async (path, list) => {
    try {
      const { files = [] } = await api("GET", `artifacts/list?run_id=${encodeURIComponent(info.run_id)}${path ? `&path=${encodeURIComponent(path)}` : ""}`);
      files.sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
      if (files.length === 0 && !path) { tree.replaceWith(empty("No artifacts.")); return; }
      fill(list, ...files.map((f) => node(f)));
    } catch (error) { showError(error); }
  };
  const node = (file) => {
    const name = file.path.split("/").pop();
    if (file.is_dir) {
      const children = h("ul", { role: "group", hidden: true });
      const button = h("button", { type: "button", class: "link", "aria-expanded": "false", onclick: async () => {
        const expanded = button.getAttribute("aria-expanded") === "true";
        button.setAttribute("aria-expanded", String(!expanded));
        children.hidden = expanded;
        if (!expanded && !children.childElementCount) await open(file.path, children);
      } }, `${name}/`);
      return h("li", { role: "treeitem" }, button, children);
    }
    return h("li", { role: "treeitem" },
      h("button", { type: "button", class: "link", onclick: () => { setQuery({ artifact: file.path }, { replace: true }); show(file); } }, name),
      h("span", { class: "muted" }, ` ${bytes(Number(file.file_size ?? 0))}`));
  };
  const show = async (file) => {
    const url = download(info.run_id, file.path);
    const header = h("p", {}, h("strong", {}, file.path), " ", h("a", { href: url, download: file.path.split("/").pop() }, "Download"));
    const size = Number(file.file_size ?? 0);
    if (IMAGE.test(file.path)) {
      fill(preview, header, h("img", { src: url, alt: file.path, class: "artifact-image" }));
      return;
    }
    if (!TEXT.test(file.path) || size > PREVIEW_LIMIT) {
      fill(preview, header, empty(size > PREVIEW_LIMIT ? `Too large to preview (${bytes(size)}); download it.` : "No preview for this kind of file; download it."));
      return;
    }
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${response.status}: ${(await response.json().catch(() => ({}))).message ?? response.statusText}`);
      const text = await response.text();
      fill(preview, header, render(file.path, text));
    } catch (error) { fill(preview, header, h("p", { class: "error-inline" }, `Could not read the file: ${error.message}`)); }
  };
  queueMicrotask(async () => {
    await open("", tree);
    const wanted = query.get("artifact");
    if (wanted) {
      const parent = wanted.includes("/") ? wanted.slice(0, wanted.lastIndexOf("/")) : "";
      const { files = [] } = await api("GET", `artifacts/list?run_id=${encodeURIComponent(info.run_id)}${parent ? `&path=${encodeURIComponent(parent)}` : ""}`).catch(() => ({}));
      const file = files.find((f) => f.path === wanted);
      if (file) show(file);
    }
  });
  return h("div", { class: "artifacts" }, tree, preview);
}

/** Text shown as it is; JSON pretty-printed; CSV/TSV as a table of its first 200 rows. */
function render(path, text) {
  if (/\.json$/i.test(path)) {
    try { return h("pre", { class: "code" }, JSON.stringify(JSON.parse(text), null, 2)); } catch { /* shown as text */ }
  }
  if (/\.(csv|tsv)$/i.test(path)) {
    const rows = parseDelimited(text, /\.tsv$/i.test(path) ? "\t" : ",").slice(0, 201);
    if (rows.length) {
      return h("div", { class: "scroll" }, table(`Preview of ${path}`, rows[0], rows.slice(1).map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
        h("p", { class: "muted" }, rows.length > 200 ? "First 200 rows." : ""));
    }
  }
  return h("pre", { class: "code" }, text);
}

/** RFC 4180 fields: quotes around fields, doubled quotes inside them, newlines inside quotes. */
function parseDelimited(text, separator) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length <= 201; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows;
}
