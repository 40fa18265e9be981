// Shared helpers of Keel's web UI: building elements, calling the REST API, formatting, routes.
// Every page reads the same REST API as any client (MLflow's under /ajax-api/2.0/mlflow, Keel's
// under /api/2.0/keel); pages are addressed by the URL fragment, so every view has a copyable URL.

export const main = document.getElementById("main");
const errorBox = document.getElementById("error");

/** Builds an element: h("a", {href: "#"}, "text", child…). Text is always text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Calls the API; a non-2xx answer throws an Error carrying MLflow's error_code and message. */
export async function api(method, path, body, base = "/ajax-api/2.0/mlflow") {
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
export const keel = (method, path, body) => api(method, path, body, "/api/2.0/keel");

export function showError(error) {
  errorBox.hidden = false;
  errorBox.textContent = `The server answered: ${error.message}`;
}

export function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
}

export const percent = (share) => `${Math.round(share * 1000) / 10} %`;
export const time = (ms) => (ms ? new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19) : "");
export const number = (v) => (typeof v === "number" ? (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : String(+v.toFixed(6))) : v);
export const bytes = (n) => n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
export const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
export const quote = (s) => s.replaceAll("\\", "\\\\").replaceAll("'", "\\'");

/** The fragment's path and query: "#/experiments/1?filter=x" → ["experiments", "1"], {filter: "x"}. */
export function route() {
  const [path, query] = (location.hash.slice(1) || "/experiments").split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query ?? "") };
}

export function link(parts, query) {
  const q = query && [...query.keys()].length ? `?${query}` : "";
  return `#/${parts.map((p) => encodeURIComponent(p)).join("/")}${q}`;
}

/** Replaces the page's query (keeps the path): the new state is a URL someone else can open. */
export function setQuery(changes, { replace = false } = {}) {
  const { parts, query } = route();
  for (const [k, v] of Object.entries(changes)) v === null || v === undefined || v === "" ? query.delete(k) : query.set(k, v);
  const target = link(parts, query);
  if (replace) history.replaceState(null, "", target);
  else location.hash = target;
}

export const crumbs = (...items) => h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
  items.map((item, i) => [i > 0 ? " / " : null, typeof item === "string" ? item : h("a", { href: item[1] }, item[0])]));

/** A table with a caption-like label, header cells and rows of cells (strings or elements). */
export function table(label, headers, rows, attributes = {}) {
  return h("table", { "aria-label": label, ...attributes },
    h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows));
}

export const empty = (text) => h("p", { class: "muted" }, text);

/**
 * A search box that filters the rows of a list already on the page (lists that the API returns
 * whole: datasets, deployments, monitors, alert rules). The text is kept in the URL (?q= or ?PARAM=).
 */
export function listSearch(id, label, rows, textOf, param = "q") {
  const { query } = route();
  const input = h("input", { type: "search", id, value: query.get(param) ?? "", placeholder: "Contains…" });
  const count = h("span", { class: "muted", "aria-live": "polite" });
  const apply = () => {
    const needle = input.value.trim().toLowerCase();
    let shown = 0;
    for (const [row, item] of rows) {
      const match = !needle || textOf(item).toLowerCase().includes(needle);
      row.hidden = !match;
      if (match) shown++;
    }
    count.textContent = needle ? `${shown} of ${rows.length} shown` : "";
  };
  input.addEventListener("input", () => { apply(); setQuery({ [param]: input.value }, { replace: true }); });
  queueMicrotask(apply);
  return h("div", { class: "toolbar", role: "search" }, h("label", { for: id }, label), input, count);
}

/** Replaces an element's children: arrays are flattened, null/undefined/false left out (replaceChildren does neither). */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
}

/** A name search answered by the server (`?search=` on the page's URL): experiments, models. */
export function nameSearch(page, id, label, value) {
  const input = h("input", { type: "search", id, value, placeholder: "Name contains…" });
  return h("form", { class: "toolbar", role: "search", onsubmit: (e) => {
    e.preventDefault();
    location.hash = link([page], new URLSearchParams(input.value ? { search: input.value } : {}));
  } }, h("label", { for: id }, label), input, h("button", { type: "submit" }, "Search"));
}
