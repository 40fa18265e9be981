// Keel's web UI: plain ES module, no framework. Every page reads the same REST API as any
// client (MLflow's under /ajax-api/2.0/mlflow); pages are addressed by the URL fragment.

const main = document.getElementById("main");
const errorBox = document.getElementById("error");
const PAGE_SIZE = 50;
const SHOWN_KEYS = 6;

/** Builds an element: h("a", {href: "#"}, "text", child…). Text is always text, never HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

async function api(method, path, body, base = "/ajax-api/2.0/mlflow") {
  const response = await fetch(`${base}/${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`${json.error_code ?? response.status}: ${json.message ?? response.statusText}`);
  }
  return json;
}

/** Keel's own API (/api/2.0/keel/...): monitors, alerts, datasets, deployments. */
const keel = (method, path, body) => api(method, path, body, "/api/2.0/keel");

function showError(error) {
  errorBox.hidden = false;
  errorBox.textContent = `The server answered: ${error.message}`;
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

const percent = (share) => `${Math.round(share * 1000) / 10} %`;
const time = (ms) => (ms ? new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19) : "");
const number = (v) => (typeof v === "number" ? (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : String(+v.toFixed(6))) : v);

/** The fragment's path and query: "#/experiments/1?filter=x" → ["experiments", "1"], {filter: "x"}. */
function route() {
  const [path, query] = (location.hash.slice(1) || "/experiments").split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query ?? "") };
}

function link(parts, query) {
  const q = query && [...query.keys()].length ? `?${query}` : "";
  return `#/${parts.map(encodeURIComponent).join("/")}${q}`;
}

async function render() {
  clearError();
  const { parts, query } = route();
  try {
    if (parts[0] === "experiments" && parts[1]) await runsPage(parts[1], query);
    else if (parts[0] === "runs" && parts[1]) await runPage(parts[1]);
    else if (parts[0] === "compare") await comparePage((query.get("runs") ?? "").split(",").filter(Boolean));
    else if (parts[0] === "models" && parts[1]) await modelPage(parts[1]);
    else if (parts[0] === "models") await modelsPage(query);
    else if (parts[0] === "datasets" && parts[1] && parts[2]) await datasetVersionPage(parts[1], parts[2]);
    else if (parts[0] === "datasets" && parts[1]) await datasetPage(parts[1]);
    else if (parts[0] === "datasets") await datasetsPage();
    else if (parts[0] === "deployments" && parts[1]) await deploymentPage(parts[1]);
    else if (parts[0] === "deployments") await deploymentsPage();
    else if (parts[0] === "monitors" && parts[1]) await monitorPage(parts[1]);
    else if (parts[0] === "monitors") await monitorsPage();
    else await experimentsPage(query);
  } catch (error) {
    showError(error);
    if (main.textContent.includes("Loading")) main.replaceChildren(h("p", { class: "muted" }, "Nothing to show."));
  }
}

// --- Experiments ------------------------------------------------------------------------------

async function experimentsPage(query) {
  const search = query.get("search") ?? "";
  document.title = "Experiments · Keel";
  const body = { max_results: 1000, order_by: ["creation_time DESC"] };
  if (search) body.filter = `name LIKE '%${search.replaceAll("'", "\\'")}%'`;
  const { experiments = [] } = await api("POST", "experiments/search", body);
  const input = h("input", { type: "search", id: "experiment-search", value: search, placeholder: "Name contains…" });
  const form = h("form", { class: "toolbar", role: "search", onsubmit: (e) => {
    e.preventDefault();
    location.hash = link(["experiments"], new URLSearchParams(input.value ? { search: input.value } : {}));
  } }, h("label", { for: "experiment-search" }, "Search experiments"), input, h("button", { type: "submit" }, "Search"));
  const rows = experiments.map((x) => h("tr", {},
    h("td", {}, h("a", { href: link(["experiments", x.experiment_id]) }, x.name)),
    h("td", {}, x.experiment_id),
    h("td", {}, time(x.creation_time)),
    h("td", { class: "muted" }, x.artifact_location)));
  main.replaceChildren(
    h("h1", {}, "Experiments"),
    form,
    h("table", { "aria-label": "Experiments" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "ID"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col" }, "Artifact location"))),
      h("tbody", {}, rows)),
    h("p", { class: "muted" }, `${experiments.length} experiment${experiments.length === 1 ? "" : "s"}`));
}

// --- Runs of an experiment --------------------------------------------------------------------

async function runsPage(experimentId, query) {
  const filter = query.get("filter") ?? "";
  const order = query.get("order") ?? "attributes.start_time DESC";
  const token = query.get("page") ?? undefined;
  const [{ experiment }, result] = await Promise.all([
    api("GET", `experiments/get?experiment_id=${encodeURIComponent(experimentId)}`),
    api("POST", "runs/search", { experiment_ids: [experimentId], filter, max_results: PAGE_SIZE, order_by: [order], page_token: token }),
  ]);
  document.title = `${experiment.name} · Keel`;
  const runs = result.runs ?? [];
  const metricKeys = keys(runs, "metrics");
  const paramKeys = keys(runs, "params");

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
  } });
  const head = h("tr", {},
    h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Select")),
    h("th", { scope: "col" }, "Run"), sortable("Status", "attributes.status"), sortable("Started", "attributes.start_time"),
    metricKeys.map((k) => sortable(k, `metrics.\`${k}\``)),
    paramKeys.map((k) => sortable(k, `params.\`${k}\``)));
  const rows = runs.map((run) => {
    const metrics = Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value]));
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    return h("tr", {},
      h("td", {}, pick(run.info.run_id, run.info.run_name || run.info.run_id)),
      h("td", {}, h("a", { href: link(["runs", run.info.run_id]) }, run.info.run_name || run.info.run_id)),
      h("td", {}, run.info.status),
      h("td", {}, time(run.info.start_time)),
      metricKeys.map((k) => h("td", { class: "n" }, k in metrics ? number(metrics[k]) : "")),
      paramKeys.map((k) => h("td", {}, params[k] ?? "")));
  });

  const pager = h("div", { class: "pager" }, compare,
    token ? h("button", { type: "button", onclick: () => history.back() }, "Previous page") : null,
    result.next_page_token
      ? h("button", { type: "button", onclick: () => { const next = new URLSearchParams(query); next.set("page", result.next_page_token); location.hash = link(["experiments", experimentId], next); } }, "Next page")
      : null,
    h("span", { class: "muted", id: "run-count" }, `${runs.length} run${runs.length === 1 ? "" : "s"} on this page`));
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/experiments" }, "Experiments"), " / "),
    h("h1", {}, experiment.name),
    form,
    h("div", { style: "overflow-x: auto" }, h("table", { "aria-label": "Runs" }, h("thead", {}, head), h("tbody", {}, rows))),
    pager);
}

/** The first keys (by how many runs have them, then name) of metrics or params on this page. */
function keys(runs, kind) {
  const counts = new Map();
  for (const run of runs) for (const item of run.data[kind] ?? []) counts.set(item.key, (counts.get(item.key) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, SHOWN_KEYS).map(([k]) => k);
}

// --- One run ----------------------------------------------------------------------------------

async function runPage(runId) {
  const { run } = await api("GET", `runs/get?run_id=${encodeURIComponent(runId)}`);
  const info = run.info;
  document.title = `${info.run_name || info.run_id} · Keel`;
  const table = (label, items, value) => items.length === 0 ? h("p", { class: "muted" }, `No ${label.toLowerCase()}.`)
    : h("table", { "aria-label": label },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Value"))),
      h("tbody", {}, items.map((item) => h("tr", {}, h("td", {}, item.key), value(item)))));
  const tags = (run.data.tags ?? []).filter((t) => !t.key.startsWith("mlflow."));
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/experiments" }, "Experiments"), " / ", h("a", { href: link(["experiments", info.experiment_id]) }, `experiment ${info.experiment_id}`), " /"),
    h("h1", {}, info.run_name || info.run_id),
    h("dl", { class: "facts" },
      h("dt", {}, "Run ID"), h("dd", {}, info.run_id),
      h("dt", {}, "Status"), h("dd", {}, info.status),
      h("dt", {}, "Started"), h("dd", {}, time(info.start_time)),
      h("dt", {}, "Ended"), h("dd", {}, time(info.end_time)),
      h("dt", {}, "Artifacts"), h("dd", {}, info.artifact_uri)),
    h("h2", {}, "Parameters"), table("Parameters", run.data.params ?? [], (p) => h("td", {}, p.value)),
    h("h2", {}, "Metrics (latest)"), table("Metrics", run.data.metrics ?? [], (m) => h("td", { class: "n" }, number(m.value))),
    h("h2", {}, "Tags"), table("Tags", tags, (t) => h("td", {}, t.value)));
}

// --- Compare runs ----------------------------------------------------------------------------

async function comparePage(runIds) {
  if (runIds.length < 2) throw new Error("Select at least two runs to compare.");
  const runs = (await Promise.all(runIds.map((id) => api("GET", `runs/get?run_id=${encodeURIComponent(id)}`)))).map((r) => r.run);
  document.title = `Compare ${runs.length} runs · Keel`;
  const name = (run) => run.info.run_name || run.info.run_id;
  const section = (label, kind, show) => {
    const values = runs.map((run) => Object.fromEntries((run.data[kind] ?? []).map((x) => [x.key, x.value])));
    const keys = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
    if (keys.length === 0) return h("p", { class: "muted" }, `No ${label.toLowerCase()}.`);
    return h("table", { "aria-label": label },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), runs.map((run) => h("th", { scope: "col" }, h("a", { href: link(["runs", run.info.run_id]) }, name(run)))))),
      h("tbody", {}, keys.map((key) => {
        const cells = values.map((v) => v[key]);
        const differs = new Set(cells.map(String)).size > 1;
        return h("tr", { class: differs ? "differs" : null, "data-differs": differs ? "true" : null },
          h("th", { scope: "row" }, key, differs ? h("span", { class: "visually-hidden" }, " (differs)") : null),
          cells.map((c) => h("td", { class: kind === "metrics" ? "n" : null }, c === undefined ? "—" : show(c))));
      })));
  };
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/experiments" }, "Experiments"), " / ", h("a", { href: link(["experiments", runs[0].info.experiment_id]) }, `experiment ${runs[0].info.experiment_id}`), " /"),
    h("h1", {}, `Compare ${runs.length} runs`),
    h("p", { class: "muted" }, "Rows whose values differ are highlighted."),
    h("h2", {}, "Parameters"), section("Parameters", "params", (v) => v),
    h("h2", {}, "Metrics (latest)"), section("Metrics", "metrics", number));
}

// --- Registry --------------------------------------------------------------------------------

async function modelsPage(query) {
  const search = query.get("search") ?? "";
  document.title = "Models · Keel";
  const filter = search ? `&filter=${encodeURIComponent(`name LIKE '%${search.replaceAll("'", "\\'")}%'`)}` : "";
  const { registered_models: models = [] } = await api("GET", `registered-models/search?max_results=1000${filter}`);
  const input = h("input", { type: "search", id: "model-search", value: search, placeholder: "Name contains…" });
  const form = h("form", { class: "toolbar", role: "search", onsubmit: (e) => {
    e.preventDefault();
    location.hash = link(["models"], new URLSearchParams(input.value ? { search: input.value } : {}));
  } }, h("label", { for: "model-search" }, "Search models"), input, h("button", { type: "submit" }, "Search"));
  const rows = models.map((m) => h("tr", {},
    h("td", {}, h("a", { href: link(["models", m.name]) }, m.name)),
    h("td", {}, (m.latest_versions ?? []).map((v) => `v${v.version}${v.current_stage && v.current_stage !== "None" ? ` (${v.current_stage})` : ""}`).join(", ")),
    h("td", {}, (m.aliases ?? []).map((a) => `@${a.alias} → v${a.version}`).join(", ")),
    h("td", {}, time(m.last_updated_timestamp))));
  main.replaceChildren(
    h("h1", {}, "Registered models"),
    form,
    h("table", { "aria-label": "Registered models" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Latest versions"), h("th", { scope: "col" }, "Aliases"), h("th", { scope: "col" }, "Updated"))),
      h("tbody", {}, rows)),
    h("p", { class: "muted" }, `${models.length} model${models.length === 1 ? "" : "s"}`));
}

async function modelPage(name) {
  const [{ registered_model: model }, { model_versions: versions = [] }] = await Promise.all([
    api("GET", `registered-models/get?name=${encodeURIComponent(name)}`),
    api("GET", `model-versions/search?max_results=1000&filter=${encodeURIComponent(`name='${name.replaceAll("'", "\\'")}'`)}`),
  ]);
  document.title = `${model.name} · Keel`;
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  const aliasesOf = new Map();
  for (const a of model.aliases ?? []) aliasesOf.set(a.version, [...(aliasesOf.get(a.version) ?? []), a.alias]);

  const alias = h("input", { type: "text", id: "alias-name", required: true, placeholder: "champion" });
  const version = h("select", { id: "alias-version" }, versions.map((v) => h("option", { value: v.version }, `version ${v.version}`)));
  const status = h("span", { class: "muted", role: "status" });
  const form = h("form", { class: "toolbar", "aria-label": "Set an alias", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("POST", "registered-models/alias", { name: model.name, alias: alias.value, version: version.value });
      status.textContent = `@${alias.value} now points to version ${version.value}.`;
      await modelPage(name);
    } catch (error) { showError(error); }
  } }, h("label", { for: "alias-name" }, "Alias"), alias, h("label", { for: "alias-version" }, "points to"), version, h("button", { type: "submit" }, "Set alias"), status);

  const removeAlias = async (name, aliasName) => {
    try {
      await api("DELETE", "registered-models/alias", { name, alias: aliasName });
      await modelPage(name);
    } catch (error) { showError(error); }
  };
  const rows = versions.map((v) => h("tr", {},
    h("td", {}, `version ${v.version}`),
    h("td", {}, (aliasesOf.get(v.version) ?? []).map((a) => h("span", { class: "alias" }, `@${a} `,
      h("button", { type: "button", "aria-label": `Remove alias ${a}`, onclick: () => removeAlias(model.name, a) }, "×")))),
    h("td", {}, v.current_stage),
    h("td", {}, v.run_id ? h("a", { href: link(["runs", v.run_id]) }, v.run_id.slice(0, 8)) : ""),
    h("td", {}, v.status),
    h("td", {}, time(v.creation_timestamp))));
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/models" }, "Models"), " /"),
    h("h1", {}, model.name),
    model.description ? h("p", {}, model.description) : null,
    form,
    h("table", { "aria-label": "Versions" },
      h("thead", {}, h("tr", {}, ["Version", "Aliases", "Stage", "Source run", "Status", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows)));
}

// --- Datasets --------------------------------------------------------------------------------

const bytes = (n) => n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

async function datasetsPage() {
  document.title = "Datasets · Keel";
  const { datasets = [] } = await keel("GET", "datasets/list");
  main.replaceChildren(
    h("h1", {}, "Datasets"),
    datasets.length === 0 ? h("p", { class: "muted" }, "No dataset yet: keel data add NAME PATH.")
      : h("table", { "aria-label": "Datasets" },
        h("thead", {}, h("tr", {}, ["Name", "Versions", "Latest", "Updated"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, datasets.map((d) => h("tr", {},
          h("td", {}, h("a", { href: link(["datasets", d.name]) }, d.name)),
          h("td", { class: "n" }, d.version_count),
          h("td", {}, d.latest_version ?? ""),
          h("td", {}, time(d.last_updated_time)))))));
}

async function datasetPage(name) {
  const { versions = [] } = await keel("GET", `datasets/versions/list?name=${encodeURIComponent(name)}`);
  document.title = `${name} · Datasets · Keel`;
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/datasets" }, "Datasets"), " /"),
    h("h1", {}, name),
    h("table", { "aria-label": "Versions" },
      h("thead", {}, h("tr", {}, ["Version", "ID", "Message", "Author", "Size", "Files", "Rows", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, versions.map((v) => h("tr", {},
        h("td", {}, h("a", { href: link(["datasets", name, String(v.number)]) }, `version ${v.number}`)),
        h("td", {}, v.id.slice(0, 12)), h("td", {}, v.message ?? ""), h("td", {}, v.author ?? ""),
        h("td", { class: "n" }, bytes(v.size_bytes)), h("td", { class: "n" }, v.file_count), h("td", { class: "n" }, v.row_count ?? ""),
        h("td", {}, time(v.creation_time)))))));
}

async function datasetVersionPage(name, version) {
  const query = `name=${encodeURIComponent(name)}&version=${encodeURIComponent(version)}`;
  const [detail, { profiles = {} }] = await Promise.all([keel("GET", `datasets/versions/get?${query}`), keel("GET", `datasets/versions/profile?${query}`)]);
  const v = detail.version;
  document.title = `${name}@${v.number} · Datasets · Keel`;
  const profileSections = Object.entries(profiles).map(([path, profile]) => [
    h("h2", {}, `Profile of ${path} (${profile.row_count} rows)`),
    h("table", { "aria-label": `Profile of ${path}` },
      h("thead", {}, h("tr", {}, ["Column", "Type", "Missing", "Distinct", "Min", "Mean", "Max", "Std", "Top values"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, profile.columns.map((c) => h("tr", {},
        h("td", {}, c.name), h("td", {}, c.type), h("td", { class: "n" }, percent(c.missing_share)),
        h("td", { class: "n" }, `${c.distinct_exact ? "" : "≈"}${c.distinct}`),
        h("td", { class: "n" }, c.numeric ? number(c.numeric.min) : ""), h("td", { class: "n" }, c.numeric ? number(c.numeric.mean) : ""),
        h("td", { class: "n" }, c.numeric ? number(c.numeric.max) : ""), h("td", { class: "n" }, c.numeric ? number(c.numeric.std) : ""),
        h("td", {}, c.categorical ? c.categorical.top_values.slice(0, 3).map((t) => `${t.value} (${percent(t.share)})`).join(", ") : "")))))]);
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/datasets" }, "Datasets"), " / ", h("a", { href: link(["datasets", name]) }, name), " /"),
    h("h1", {}, `${name} version ${v.number}`),
    h("dl", { class: "facts" },
      h("dt", {}, "ID"), h("dd", {}, v.id), h("dt", {}, "Source"), h("dd", {}, v.source),
      h("dt", {}, "Size"), h("dd", {}, `${bytes(v.size_bytes)} in ${v.file_count} file${v.file_count === 1 ? "" : "s"}`),
      h("dt", {}, "Message"), h("dd", {}, v.message ?? "")),
    h("h2", {}, "Runs that used it"),
    (detail.runs ?? []).length === 0 ? h("p", { class: "muted" }, "No run recorded it as an input.")
      : h("ul", {}, detail.runs.map((id) => h("li", {}, h("a", { href: link(["runs", id]) }, id)))),
    profileSections.length === 0 ? h("p", { class: "muted" }, "No profile (no tabular file, or too large to profile on add).") : h("section", {}, profileSections));
}

// --- Deployments -----------------------------------------------------------------------------

async function deploymentsPage() {
  document.title = "Deployments · Keel";
  const { deployments = [] } = await keel("GET", "deployments/list");
  main.replaceChildren(
    h("h1", {}, "Deployments"),
    deployments.length === 0 ? h("p", { class: "muted" }, "No deployment yet: keel deploy create NAME --route models:/NAME@ALIAS.")
      : h("table", { "aria-label": "Deployments" },
        h("thead", {}, h("tr", {}, ["Name", "Status", "Revision", "Serving", "Shadow", "Updated"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, deployments.map((d) => h("tr", {},
          h("td", {}, h("a", { href: link(["deployments", d.name]) }, d.name)),
          h("td", {}, d.status),
          h("td", { class: "n" }, d.revision),
          h("td", {}, (d.serving ?? d.routes ?? []).map((r) => r.version ? `${r.route}: ${r.model_name} v${r.version} (${percent(r.share)})` : `${r.name}: ${r.model_uri}`).join(", ")),
          h("td", {}, d.shadow_serving ? `${d.shadow_serving.model_name} v${d.shadow_serving.version} (${percent(d.shadow_serving.share)})` : ""),
          h("td", {}, time(d.last_updated_time)))))));
}

async function deploymentPage(name) {
  const [{ deployment: d }, history] = await Promise.all([
    keel("GET", `deployments/get?name=${encodeURIComponent(name)}`),
    keel("GET", `deployments/history?name=${encodeURIComponent(name)}&max_results=100`),
  ]);
  document.title = `${d.name} · Deployments · Keel`;
  const verdict = d.shadow ? await keel("GET", `deployments/shadow-verdict?name=${encodeURIComponent(name)}`).catch(() => null) : null;
  const status = h("span", { class: "muted", role: "status" });
  const rollback = async (revision) => {
    try {
      await keel("POST", "deployments/rollback", { name: d.name, revision, message: `rolled back from the web UI to revision ${revision}` });
      await deploymentPage(name);
      document.querySelector("[role=status]").textContent = `Rolled back to revision ${revision}.`;
    } catch (error) { showError(error); }
  };
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/deployments" }, "Deployments"), " /"),
    h("h1", {}, d.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Endpoint"), h("dd", {}, d.endpoint),
      h("dt", {}, "Status"), h("dd", {}, d.status),
      h("dt", {}, "Revision"), h("dd", {}, d.revision),
      h("dt", {}, "Sticky header"), h("dd", {}, d.sticky_header ?? "none"),
      h("dt", {}, "Inference log"), h("dd", {}, `${percent(d.inference_log.sample_rate)} of requests, kept ${d.inference_log.retention_days} days`)),
    status,
    h("h2", {}, "Routes"),
    h("table", { "aria-label": "Routes" },
      h("thead", {}, h("tr", {}, ["Route", "Model", "Weight", "Serving now"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, d.routes.map((r) => {
        const serving = (d.serving ?? []).find((s) => s.route === r.name);
        return h("tr", {}, h("td", {}, r.name), h("td", {}, r.model_uri), h("td", { class: "n" }, r.weight),
          h("td", {}, serving ? `${serving.model_name} v${serving.version} (${percent(serving.share)})` : "loading"));
      }))),
    d.shadow ? h("h2", {}, "Shadow") : null,
    d.shadow ? h("p", {}, `${d.shadow.model_uri} gets ${percent(d.shadow.share)} of the traffic. `, verdict?.verdict?.summary ?? "No verdict yet.") : null,
    d.rollout ? h("h2", {}, "Rollout") : null,
    d.rollout ? h("pre", {}, JSON.stringify(d.rollout, null, 2)) : null,
    h("h2", {}, "Revisions"),
    h("table", { "aria-label": "Revisions" },
      h("thead", {}, h("tr", {}, ["Revision", "Change", "Versions", "Message", "When", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, (history.revisions ?? []).map((rev) => h("tr", {},
        h("td", { class: "n" }, rev.revision), h("td", {}, rev.kind), h("td", {}, (rev.versions ?? []).join(", ")),
        h("td", {}, rev.message ?? ""), h("td", {}, time(rev.time)),
        h("td", {}, rev.revision === d.revision ? "current"
          : h("button", { type: "button", onclick: () => rollback(rev.revision) }, `Roll back to revision ${rev.revision}`)))))),
    h("h2", {}, "Events"),
    (history.events ?? []).length === 0 ? h("p", { class: "muted" }, "No events.")
      : h("ul", {}, history.events.map((e) => h("li", {}, `${time(e.time)} · revision ${e.revision} · ${e.kind}: ${e.message}`))));
}

// --- Monitoring ------------------------------------------------------------------------------

async function monitorsPage() {
  document.title = "Monitoring · Keel";
  const [{ monitors = [] }, { rules = [] }, { events = [] }] = await Promise.all([
    keel("GET", "monitors/list"), keel("GET", "alerts/rules/list"), keel("GET", "alerts/events?max_results=20"),
  ]);
  const reference = (spec) => spec.reference?.dataset ?? spec.reference?.artifact ?? (spec.reference?.training_data ? "training data" : "");
  const condition = (spec) => `${spec.monitor ? `monitor ${spec.monitor}` : `deployment ${spec.deployment}`} ${spec.feature ? spec.feature + "." : ""}${spec.metric} ${spec.comparison} ${spec.threshold}${spec.for_seconds ? ` for ${spec.for_seconds}s` : ""}`;
  main.replaceChildren(
    h("h1", {}, "Monitoring"),
    h("h2", {}, "Monitors"),
    monitors.length === 0 ? h("p", { class: "muted" }, "No monitor yet: keel monitor create NAME -d DEPLOYMENT --reference-dataset NAME@VERSION.")
      : h("table", { "aria-label": "Monitors" },
        h("thead", {}, h("tr", {}, ["Name", "Deployment", "Reference", "Schedule", "Last run"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, monitors.map((m) => h("tr", {},
          h("td", {}, h("a", { href: link(["monitors", m.name]) }, m.name)),
          h("td", {}, m.deployment),
          h("td", {}, reference(m.spec)),
          h("td", {}, m.spec.schedule_seconds ? `every ${m.spec.schedule_seconds}s` : "on demand"),
          h("td", {}, time(m.last_run_time)))))),
    h("h2", {}, "Alert rules"),
    rules.length === 0 ? h("p", { class: "muted" }, "No alert rule.")
      : h("table", { "aria-label": "Alert rules" },
        h("thead", {}, h("tr", {}, ["Name", "Condition", "Severity", "State", "Last value"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rules.map((r) => h("tr", {},
          h("td", {}, r.name), h("td", {}, condition(r.spec)), h("td", {}, r.spec.severity), h("td", {}, r.state),
          h("td", { class: "n" }, r.last_value === undefined ? "" : number(r.last_value)))))),
    h("h2", {}, "Recent alert events"),
    events.length === 0 ? h("p", { class: "muted" }, "No alert has fired.")
      : h("table", { "aria-label": "Alert events" },
        h("thead", {}, h("tr", {}, ["Time", "Rule", "Event", "Message", "Deliveries"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, events.map((e) => h("tr", {},
          h("td", {}, time(e.time)), h("td", {}, e.rule), h("td", {}, e.kind), h("td", {}, e.message),
          h("td", {}, (e.deliveries ?? []).map((d) => `${d.status} (${d.attempts})`).join(", ")))))));
}

async function monitorPage(name) {
  const [{ monitor }, { results = [] }, { points = [] }] = await Promise.all([
    keel("GET", `monitors?name=${encodeURIComponent(name)}`),
    keel("GET", `monitors/results?name=${encodeURIComponent(name)}&max_results=100`),
    keel("GET", `monitors/metrics?name=${encodeURIComponent(name)}&feature=`),
  ]);
  document.title = `${monitor.name} · Monitoring · Keel`;
  const series = new Map();
  for (const p of points) if (p.feature === "") series.set(`${p.window_end}/${p.metric}`, p.value);
  const value = (end, metric) => { const v = series.get(`${end}/${metric}`); return v === undefined ? "" : number(v); };
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
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/monitors" }, "Monitoring"), " /"),
    h("h1", {}, monitor.name),
    h("p", { class: "muted" }, `Deployment ${monitor.deployment}; ${monitor.spec.window_requests ? `latest ${monitor.spec.window_requests} requests` : `${monitor.spec.window_seconds ?? 3600} s windows`}; ${monitor.spec.schedule_seconds ? `every ${monitor.spec.schedule_seconds} s` : "on demand"}.`),
    h("div", { class: "toolbar" }, runNow, status),
    results.length === 0 ? h("p", { class: "muted" }, "No window computed yet.")
      : h("table", { "aria-label": "Windows" },
        h("thead", {}, h("tr", {}, ["Window end", "Rows", "Labelled", "Drift share", "Dataset drift", "Accuracy", "Estimated accuracy", "Report"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, results.map((r) => h("tr", {},
          h("td", {}, time(r.window_end)),
          h("td", { class: "n" }, r.rows),
          h("td", { class: "n" }, value(r.window_end, "rows_with_actual")),
          h("td", { class: "n" }, value(r.window_end, "drift_share")),
          h("td", {}, r.dataset_drift ? "drift" : "no drift"),
          h("td", { class: "n" }, value(r.window_end, "accuracy")),
          h("td", { class: "n" }, value(r.window_end, "estimated_accuracy")),
          h("td", {}, h("a", { href: report(r.window_end) }, `features of ${time(r.window_end)}`)))))));
}

window.addEventListener("hashchange", render);
render();
