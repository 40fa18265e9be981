// Datasets: the list, a dataset's versions, a version (facts, runs, profile with histograms and
// missing values, validation reports) and the diff of two versions.
import { fill, bytes, crumbs, empty, h, keel, link, listSearch, main, number, percent, plural, setQuery, table, time } from "./lib.js";
import { barChart } from "./charts.js";

export async function datasetsPage() {
  document.title = "Datasets · Keel";
  const { datasets = [] } = await keel("GET", "datasets/list");
  const rows = datasets.map((d) => [h("tr", {},
    h("td", {}, h("a", { href: link(["datasets", d.name]) }, d.name)),
    h("td", { class: "n" }, d.version_count),
    h("td", {}, d.latest_version ?? ""),
    h("td", {}, time(d.last_updated_time))), d]);
  fill(main,
    h("h1", {}, "Datasets"),
    datasets.length === 0 ? empty("No dataset yet: keel data add NAME PATH.") : [
      listSearch("dataset-search", "Search datasets", rows, (d) => d.name),
      table("Datasets", ["Name", "Versions", "Latest", "Updated"], rows.map(([row]) => row))]);
}

export async function datasetPage(name) {
  const { versions = [] } = await keel("GET", `datasets/versions/list?name=${encodeURIComponent(name)}`);
  document.title = `${name} · Datasets · Keel`;
  const numbers = versions.map((v) => String(v.number));
  const select = (id, selected) => h("select", { id }, numbers.map((n) => h("option", { value: n, selected: n === selected }, `version ${n}`)));
  const rows = versions.map((v) => [h("tr", {},
    h("td", {}, h("a", { href: link(["datasets", name, String(v.number)]) }, `version ${v.number}`)),
    h("td", {}, v.id.slice(0, 12)), h("td", {}, v.message ?? ""), h("td", {}, v.author ?? ""),
    h("td", { class: "n" }, bytes(v.size_bytes)), h("td", { class: "n" }, v.file_count), h("td", { class: "n" }, v.row_count ?? ""),
    h("td", {}, time(v.creation_time))), v]);
  const from = select("diff-from", numbers[1] ?? numbers[0]);
  const to = select("diff-to", numbers[0]);
  fill(main,
    crumbs(["Datasets", "#/datasets"], ""),
    h("h1", {}, name),
    versions.length > 1 ? h("form", { class: "toolbar", "aria-label": "Compare two versions", onsubmit: (e) => {
      e.preventDefault();
      location.hash = link(["datasets", name, "diff"], new URLSearchParams({ from: from.value, to: to.value }));
    } }, h("label", { for: "diff-from" }, "Compare"), from, h("label", { for: "diff-to" }, "with"), to, h("button", { type: "submit" }, "Show the diff")) : null,
    listSearch("version-search", "Search versions", rows, (v) => `version ${v.number} ${v.id} ${v.message ?? ""} ${v.author ?? ""}`),
    table("Versions", ["Version", "ID", "Message", "Author", "Size", "Files", "Rows", "Created"], rows.map(([row]) => row)));
}

const versionQuery = (name, version) => `name=${encodeURIComponent(name)}&version=${encodeURIComponent(version)}`;

export async function datasetVersionPage(name, version, query) {
  const q = versionQuery(name, version);
  const [detail, { profiles = {} }, { reports = {} }] = await Promise.all([
    keel("GET", `datasets/versions/get?${q}`), keel("GET", `datasets/versions/profile?${q}`), keel("GET", `datasets/versions/reports?${q}`).catch(() => ({})),
  ]);
  const v = detail.version;
  document.title = `${name}@${v.number} · Datasets · Keel`;
  const files = detail.manifest?.files ?? [];
  fill(main,
    crumbs(["Datasets", "#/datasets"], [name, link(["datasets", name])], ""),
    h("h1", {}, `${name} version ${v.number}`),
    h("dl", { class: "facts" },
      h("dt", {}, "ID"), h("dd", {}, v.id), h("dt", {}, "Source"), h("dd", {}, v.source),
      h("dt", {}, "Size"), h("dd", {}, `${bytes(v.size_bytes)} in ${plural(v.file_count, "file")}`),
      h("dt", {}, "Message"), h("dd", {}, v.message ?? "")),
    h("h2", {}, "Runs that used it"),
    (detail.runs ?? []).length === 0 ? empty("No run recorded it as an input.")
      : h("ul", {}, detail.runs.map((id) => h("li", {}, h("a", { href: link(["runs", id]) }, id)))),
    h("h2", {}, "Files"),
    files.length === 0 ? empty("No files.") : table("Files", ["Path", "Size", "Chunks"], files.slice(0, 500).map((f) => h("tr", {},
      h("td", {}, f.path), h("td", { class: "n" }, bytes(f.size ?? 0)), h("td", { class: "n" }, (f.chunks ?? []).length)))),
    h("h2", {}, "Validation"),
    validation(reports),
    Object.keys(profiles).length === 0 ? empty("No profile (no tabular file, or too large to profile on add).")
      : Object.entries(profiles).map(([path, profile]) => profileSection(path, profile, query)));
}

function validation(reports) {
  const entries = Object.entries(reports);
  if (entries.length === 0) return empty("No validation report: attach a suite with keel data suite set NAME FILE.");
  return entries.map(([path, r]) => h("section", { "aria-label": `Validation of ${path}` },
    h("p", {}, h("strong", {}, path), ` — suite ${r.suite}: `, h("span", { class: r.success ? "ok" : "bad" }, r.success ? "passed" : "failed"),
      ` (${r.rules_passed} passed, ${r.rules_failed} failed, ${r.row_count} rows)`),
    table(`Rules checked on ${path}`, ["Rule", "Column", "Result", "Expected", "Observed", "Failing rows", "Sample"], (r.results ?? []).map((x) => h("tr", { class: x.passed ? null : "failed" },
      h("td", {}, x.rule), h("td", {}, x.column ?? ""), h("td", {}, x.passed ? "passed" : "failed"),
      h("td", {}, x.expected ?? ""), h("td", {}, x.observed ?? ""), h("td", { class: "n" }, x.failing_rows ?? ""),
      h("td", {}, (x.sample ?? []).slice(0, 3).map((s) => `row ${s.row}: ${s.value}`).join("; ")))))));
}

/** A file's profile: the columns' statistics, missing values per column, and the histogram of one column. */
function profileSection(path, profile, query) {
  const columns = profile.columns;
  const chosenName = query.get("column");
  const chosen = columns.find((c) => c.name === chosenName) ?? columns.find((c) => c.numeric) ?? columns[0];
  const rows = columns.map((c) => h("tr", { class: c === chosen ? "chosen" : null },
    h("td", {}, h("button", { type: "button", class: "link", "aria-pressed": String(c === chosen), onclick: () => setQuery({ column: c.name }) }, c.name)),
    h("td", {}, c.type), h("td", { class: "n" }, percent(c.missing_share)),
    h("td", { class: "n" }, `${c.distinct_exact ? "" : "≈"}${c.distinct}`),
    h("td", { class: "n" }, c.numeric ? number(c.numeric.min) : ""), h("td", { class: "n" }, c.numeric ? number(c.numeric.mean) : ""),
    h("td", { class: "n" }, c.numeric ? number(c.numeric.max) : ""), h("td", { class: "n" }, c.numeric ? number(c.numeric.std) : ""),
    h("td", {}, c.categorical ? c.categorical.top_values.slice(0, 3).map((t) => `${t.value} (${percent(t.share)})`).join(", ") : "")));
  const withMissing = columns.filter((c) => c.missing > 0);
  return h("section", { "aria-label": `Profile of ${path}` },
    h("h2", {}, `Profile of ${path} (${profile.row_count} rows)`),
    h("div", { class: "scroll" }, table(`Profile of ${path}`, ["Column", "Type", "Missing", "Distinct", "Min", "Mean", "Max", "Std", "Top values"], rows)),
    h("div", { class: "charts" },
      chosen ? distribution(chosen) : null,
      withMissing.length === 0 ? h("p", { class: "muted" }, "No missing values in any column.")
        : barChart({ label: "Missing values", description: "(share of rows, per column)", categories: withMissing.map((c) => c.name), series: [{ label: "missing", values: withMissing.map((c) => c.missing_share), colour: "#cf222e" }], yLabel: "share" })));
}

function distribution(column) {
  if (column.numeric?.histogram) {
    const { edges, counts } = column.numeric.histogram;
    return barChart({
      label: `Histogram of ${column.name}`, description: `(${plural(counts.length, "bin")})`,
      categories: counts.map((_, i) => `${number(edges[i])}–${number(edges[i + 1])}`), labels: counts.map((_, i) => number(edges[i])), series: [{ label: "rows", values: counts }], yLabel: "rows",
    });
  }
  const top = column.categorical?.top_values ?? [];
  return top.length === 0 ? empty(`No distribution for ${column.name}.`) : barChart({
    label: `Top values of ${column.name}`, categories: top.map((t) => t.value), series: [{ label: "rows", values: top.map((t) => t.count) }], yLabel: "rows",
  });
}

// --- Diff of two versions ---------------------------------------------------------------------

/** Files added, removed and changed (by their chunks), and for tabular files the columns' statistics before → after. */
export async function datasetDiffPage(name, query) {
  const from = query.get("from");
  const to = query.get("to");
  if (!from || !to) throw new Error("Pick two versions to compare (?from=N&to=M).");
  const [a, b, { tables = [] }] = await Promise.all([
    keel("GET", `datasets/versions/get?${versionQuery(name, from)}`), keel("GET", `datasets/versions/get?${versionQuery(name, to)}`),
    keel("GET", `datasets/versions/table-diff?name=${encodeURIComponent(name)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
  ]);
  document.title = `${name}: version ${from} → ${to} · Keel`;
  const before = new Map((a.manifest?.files ?? []).map((f) => [f.path, f]));
  const after = new Map((b.manifest?.files ?? []).map((f) => [f.path, f]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const chunkId = (c) => (Array.isArray(c) ? c[0] : String(c)); // chunks are ["hash", size]
  const changes = [];
  let unchanged = 0;
  for (const path of paths) {
    const x = before.get(path);
    const y = after.get(path);
    if (!x) changes.push({ path, change: "added", before: null, after: y.size });
    else if (!y) changes.push({ path, change: "removed", before: x.size, after: null });
    else if ((x.chunks ?? []).map(chunkId).join() === (y.chunks ?? []).map(chunkId).join()) unchanged++;
    else {
      const old = new Set((x.chunks ?? []).map(chunkId));
      const fresh = (y.chunks ?? []).filter((c) => !old.has(chunkId(c))).length;
      changes.push({ path, change: "changed", before: x.size, after: y.size, fresh, total: (y.chunks ?? []).length });
    }
  }
  fill(main,
    crumbs(["Datasets", "#/datasets"], [name, link(["datasets", name])], ""),
    h("h1", {}, `${name}: version ${a.version.number} → ${b.version.number}`),
    h("p", {}, `${plural(changes.length, "file")} changed, ${unchanged} unchanged; rows ${a.version.row_count ?? "?"} → ${b.version.row_count ?? "?"}; size ${bytes(a.version.size_bytes)} → ${bytes(b.version.size_bytes)}.`),
    changes.length === 0 ? empty("No file changed.") : table("Changed files", ["Path", "Change", "Size before", "Size after", "New chunks"], changes.map((c) => h("tr", { class: c.change },
      h("td", {}, c.path), h("td", {}, c.change), h("td", { class: "n" }, c.before === null ? "" : bytes(c.before)),
      h("td", { class: "n" }, c.after === null ? "" : bytes(c.after)), h("td", { class: "n" }, c.change === "changed" ? `${c.fresh} of ${c.total}` : "")))),
    tables.map(tableDiff));
}

/** One tabular file's change, as the server compares the two profiles (TableDiff): PSI ≥ 0.2 reads as a shift. */
function tableDiff(t) {
  if (t.rows_before === undefined || t.rows_before === null) return h("p", {}, h("strong", {}, t.path), " was added.");
  if (t.rows_after === undefined || t.rows_after === null) return h("p", {}, h("strong", {}, t.path), " was removed.");
  const cell = (p, q, format) => {
    const moved = p !== q && !(p === undefined && q === undefined) && !(p === null && q === null);
    return h("td", { class: moved ? "n differs" : "n" }, (p ?? null) === null && (q ?? null) === null ? "" : moved ? `${format(p)} → ${format(q)}` : format(p));
  };
  const show = (v) => (v === undefined || v === null ? "—" : number(v));
  const rows = t.columns.map((c) => h("tr", { class: c.psi >= 0.2 ? "firing" : null }, h("th", { scope: "row" }, c.name),
    cell(c.type_before, c.type_after, (v) => v), cell(c.missing_share_before, c.missing_share_after, (v) => percent(v ?? 0)),
    cell(c.distinct_before, c.distinct_after, show), cell(c.mean_before, c.mean_after, show), cell(c.std_before, c.std_after, show),
    cell(c.min_before, c.min_after, show), cell(c.max_before, c.max_after, show),
    h("td", { class: "n" }, c.psi === undefined || c.psi === null ? "" : number(c.psi)),
    h("td", {}, [c.new_categories?.length ? `new: ${c.new_categories.join(", ")}` : null, c.lost_categories?.length ? `lost: ${c.lost_categories.join(", ")}` : null].filter(Boolean).join("; "))));
  return h("section", { "aria-label": `Changes in ${t.path}` },
    h("h2", {}, `${t.path}: ${t.rows_before} → ${t.rows_after} rows`),
    t.columns_added.length || t.columns_removed.length ? h("p", {}, t.columns_added.length ? `Columns added: ${t.columns_added.join(", ")}. ` : "", t.columns_removed.length ? `Columns removed: ${t.columns_removed.join(", ")}.` : "") : null,
    h("div", { class: "scroll" }, table(`Column changes in ${t.path}`, ["Column", "Type", "Missing", "Distinct", "Mean", "Std", "Min", "Max", "PSI", "Categories"], rows)));
}
