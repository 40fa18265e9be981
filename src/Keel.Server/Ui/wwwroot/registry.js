// Registry: models, versions (source run, signature), aliases and stages, the alias history
// timeline and the lineage of a version (dataset versions → run → model version → deployments).
import { fill, nameSearch, api, crumbs, empty, h, keel, link, listSearch, main, quote, showError, table, time } from "./lib.js";

export async function modelsPage(query) {
  const search = query.get("search") ?? "";
  document.title = "Models · Keel";
  const filter = search ? `&filter=${encodeURIComponent(`name LIKE '%${quote(search)}%'`)}` : "";
  const { registered_models: models = [] } = await api("GET", `registered-models/search?max_results=1000${filter}`);
  const form = nameSearch("models", "model-search", "Search models", search);
  fill(main,
    h("h1", {}, "Registered models"),
    form,
    table("Registered models", ["Name", "Latest versions", "Aliases", "Updated"], models.map((m) => h("tr", {},
      h("td", {}, h("a", { href: link(["models", m.name]) }, m.name)),
      h("td", {}, (m.latest_versions ?? []).map((v) => `v${v.version}${v.current_stage && v.current_stage !== "None" ? ` (${v.current_stage})` : ""}`).join(", ")),
      h("td", {}, (m.aliases ?? []).map((a) => `@${a.alias} → v${a.version}`).join(", ")),
      h("td", {}, time(m.last_updated_timestamp))))),
    h("p", { class: "muted" }, `${models.length} model${models.length === 1 ? "" : "s"}`));
}

export async function modelPage(name, query) {
  const [{ registered_model: model }, { model_versions: versions = [] }, { history = [] }, { deployments = [] }] = await Promise.all([
    api("GET", `registered-models/get?name=${encodeURIComponent(name)}`),
    api("GET", `model-versions/search?max_results=1000&filter=${encodeURIComponent(`name='${quote(name)}'`)}`),
    keel("GET", `registered-models/alias-history?name=${encodeURIComponent(name)}`).catch(() => ({})),
    keel("GET", "deployments/list").catch(() => ({})),
  ]);
  document.title = `${model.name} · Keel`;
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  const aliasesOf = new Map();
  for (const a of model.aliases ?? []) aliasesOf.set(a.version, [...(aliasesOf.get(a.version) ?? []), a.alias]);
  const chosen = versions.find((v) => v.version === query.get("version")) ?? versions[0];

  const alias = h("input", { type: "text", id: "alias-name", required: true, placeholder: "champion" });
  const version = h("select", { id: "alias-version" }, versions.map((v) => h("option", { value: v.version }, `version ${v.version}`)));
  const status = h("span", { class: "muted", role: "status" });
  const form = h("form", { class: "toolbar", "aria-label": "Set an alias", onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api("POST", "registered-models/alias", { name: model.name, alias: alias.value, version: version.value });
      const message = `@${alias.value} now points to version ${version.value}.`;
      await modelPage(name, query);
      document.querySelector("[role=status]").textContent = message;
    } catch (error) { showError(error); }
  } }, h("label", { for: "alias-name" }, "Alias"), alias, h("label", { for: "alias-version" }, "points to"), version, h("button", { type: "submit" }, "Set alias"), status);

  const removeAlias = async (aliasName) => {
    try {
      await api("DELETE", "registered-models/alias", { name: model.name, alias: aliasName });
      await modelPage(name, query);
    } catch (error) { showError(error); }
  };
  const servedBy = (v) => deployments.filter((d) => (d.serving ?? []).some((s) => s.model_name === model.name && s.version === v.version)
    || (d.shadow_serving && d.shadow_serving.model_name === model.name && d.shadow_serving.version === v.version));
  const rows = versions.map((v) => [h("tr", { class: v === chosen ? "chosen" : null },
    h("td", {}, h("a", { href: link(["models", model.name], new URLSearchParams({ version: v.version })), "aria-current": v === chosen ? "true" : null }, `version ${v.version}`)),
    h("td", {}, (aliasesOf.get(v.version) ?? []).map((a) => h("span", { class: "alias" }, `@${a} `,
      h("button", { type: "button", "aria-label": `Remove alias ${a}`, onclick: () => removeAlias(a) }, "×")))),
    h("td", {}, v.current_stage),
    h("td", {}, v.run_id ? h("a", { href: link(["runs", v.run_id]) }, v.run_id.slice(0, 8)) : ""),
    h("td", {}, servedBy(v).map((d, i) => [i ? ", " : null, h("a", { href: link(["deployments", d.name]) }, d.name)])),
    h("td", {}, v.status),
    h("td", {}, time(v.creation_timestamp))), v]);
  fill(main,
    crumbs(["Models", "#/models"], ""),
    h("h1", {}, model.name),
    model.description ? h("p", {}, model.description) : null,
    form,
    listSearch("version-search", "Search versions", rows, (v) => `version ${v.version} ${(aliasesOf.get(v.version) ?? []).map((a) => `@${a}`).join(" ")} ${v.current_stage} ${v.run_id ?? ""} ${v.status} ${v.description ?? ""}`, "versions"),
    table("Versions", ["Version", "Aliases", "Stage", "Source run", "Deployed in", "Status", "Created"], rows.map(([row]) => row)),
    chosen ? h("section", { id: "version-detail", "aria-label": `Version ${chosen.version}` }, h("h2", {}, `Version ${chosen.version}`), empty("Loading…")) : null,
    h("h2", {}, "Alias and stage history"),
    timeline(history));
  if (chosen) await versionDetail(model.name, chosen, servedBy(chosen));
}

/** Newest first: when an alias moved (or a stage changed), from which version to which, by whom. */
function timeline(history) {
  if (history.length === 0) return empty("No alias or stage change recorded.");
  const items = [...history].sort((a, b) => b.timestamp - a.timestamp).map((c) => {
    const what = c.kind === "alias"
      ? c.new_version === undefined ? `@${c.alias} removed (was version ${c.old_version})`
        : c.old_version === undefined ? `@${c.alias} set to version ${c.new_version}` : `@${c.alias} moved from version ${c.old_version} to ${c.new_version}`
      : `version ${c.new_version ?? c.old_version}: stage ${c.previous_stage ?? "None"} → ${c.stage}`;
    return h("li", {}, h("time", { datetime: new Date(c.timestamp).toISOString() }, time(c.timestamp)), " ", h("span", {}, what), c.user_id ? h("span", { class: "muted" }, ` by ${c.user_id}`) : null);
  });
  return h("ol", { class: "timeline", "aria-label": "Alias and stage history" }, items);
}

/** The version's signature (from its MLmodel) and lineage: the run's dataset inputs → run → version → deployments. */
async function versionDetail(modelName, v, deployments) {
  const section = document.getElementById("version-detail");
  const run = v.run_id ? (await api("GET", `runs/get?run_id=${encodeURIComponent(v.run_id)}`).catch(() => null))?.run : null;
  const mlmodel = run ? await readMlmodel(run, v.source) : null;
  const inputs = run?.inputs?.dataset_inputs ?? [];
  const box = (label, content) => h("li", { class: "lineage-node" }, h("span", { class: "muted" }, label), content);
  const lineage = h("ol", { class: "lineage", "aria-label": "Lineage" },
    box("Data", inputs.length === 0 ? h("span", {}, "no dataset recorded")
      : inputs.map((i) => h("div", {}, i.dataset.source_type === "keel"
        ? h("a", { href: link(["datasets", i.dataset.name, i.dataset.digest]) }, `${i.dataset.name} @ ${i.dataset.digest.slice(0, 12)}`)
        : `${i.dataset.name} (${i.dataset.digest})`))),
    box("Run", run ? h("a", { href: link(["runs", run.info.run_id]) }, run.info.run_name || run.info.run_id) : h("span", {}, v.run_id ? `${v.run_id} (not found)` : "none")),
    box("Model version", h("span", {}, `${modelName} v${v.version}`)),
    box("Deployments", deployments.length === 0 ? h("span", {}, "not deployed") : deployments.map((d) => h("div", {}, h("a", { href: link(["deployments", d.name]) }, d.name)))));
  const signature = mlmodel ? signatureOf(mlmodel) : null;
  fill(section, 
    h("h2", {}, `Version ${v.version}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Source"), h("dd", {}, v.source),
      h("dt", {}, "Stage"), h("dd", {}, v.current_stage),
      h("dt", {}, "Description"), h("dd", {}, v.description || "—")),
    h("h3", {}, "Lineage"), lineage,
    h("h3", {}, "Signature"),
    signature === null ? empty(mlmodel ? "The MLmodel file has no signature." : "No MLmodel file found in the source run's artifacts.")
      : h("div", { class: "signature" },
        ["inputs", "outputs"].map((side) => signature[side]
          ? [h("h4", {}, side === "inputs" ? "Inputs" : "Outputs"), table(`Signature ${side}`, ["Name", "Type", "Shape"], signature[side].map((c) => h("tr", {},
            h("td", {}, c.name ?? "(unnamed)"), h("td", {}, c.type === "tensor" ? `tensor of ${c["tensor-spec"]?.dtype ?? "?"}` : c.type ?? ""),
            h("td", {}, c["tensor-spec"]?.shape ? `[${c["tensor-spec"].shape.join(", ")}]` : ""))))]
          : null)));
}

/** The MLmodel file of a version whose source lies in its run's artifacts (runs:/ID/path or under the run's artifact URI). */
async function readMlmodel(run, source) {
  let path = null;
  if (source.startsWith(`runs:/${run.info.run_id}/`)) path = source.slice(`runs:/${run.info.run_id}/`.length);
  else if (source.startsWith(`${run.info.artifact_uri}/`)) path = source.slice(run.info.artifact_uri.length + 1);
  if (path === null) return null;
  const response = await fetch(`/get-artifact?path=${encodeURIComponent(`${path.replace(/\/$/, "")}/MLmodel`)}&run_uuid=${encodeURIComponent(run.info.run_id)}`);
  return response.ok ? response.text() : null;
}

/**
 * inputs/outputs of the YAML `signature:` block. MLflow writes each as one JSON string in single
 * quotes, which PyYAML folds over several lines when it is long (a line break reads as a space).
 */
export function signatureOf(yaml) {
  const block = yaml.match(/^signature:\n((?:[ \t]+.*\n?|\n)*)/m);
  if (!block) return null;
  const side = (name) => {
    const start = block[1].match(new RegExp(`^[ \\t]+${name}:[ \\t]*(['"])`, "m"));
    if (!start) return null;
    const quote = start[1];
    const text = block[1].slice(start.index + start[0].length);
    let value = "";
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === quote && quote === "'" && text[i + 1] === "'") { value += "'"; i++; continue; }
      if (c === "\\" && quote === '"') { value += text[++i]; continue; }
      if (c === quote) break;
      if (c === "\n") {
        let j = i + 1;
        while (text[j] === " " || text[j] === "\t") j++;
        if (text[j] === "\n") { value += "\n"; i = j; continue; }
        value = value.replace(/[ \t]+$/, "") + " ";
        i = j - 1;
        continue;
      }
      value += c;
    }
    try { return JSON.parse(value); } catch { return null; }
  };
  const result = { inputs: side("inputs"), outputs: side("outputs") };
  return result.inputs || result.outputs ? result : null;
}
