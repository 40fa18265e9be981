// Keel's web UI: plain ES modules, no framework; charts by uPlot (npm, embedded by the build).
// The router maps the URL fragment onto a page; every page reads the public REST API.
import { fill, clearError, h, main, route, showError } from "./lib.js";
import { comparePage, experimentsPage, runsPage } from "./experiments.js";
import { runPage } from "./run.js";
import { modelPage, modelsPage } from "./registry.js";
import { datasetDiffPage, datasetPage, datasetsPage, datasetVersionPage } from "./datasets.js";
import { deploymentPage, deploymentsPage } from "./deployments.js";
import { alertPage, featurePage, monitorPage, monitorsPage, monitorWindowPage } from "./monitoring.js";

/** MLflow's UI passes lists as JSON in the query (`runs=["a","b"]`); Keel's as commas. */
const list = (text) => {
  if (!text) return [];
  try { const parsed = JSON.parse(text); if (Array.isArray(parsed)) return parsed.map(String); } catch { /* a comma list */ }
  return text.split(",").filter(Boolean);
};

const pages = [
  [["experiments", "*"], (p, q) => runsPage(p[1], q)],
  // MLflow's own UI addresses, so a link copied from it opens the same thing here.
  [["experiments", "*", "runs", "*"], (p, q) => runPage(p[3], q)],
  [["experiments", "*", "runs", "*", "artifactPath", "**"], (p, q) => runPage(p[3], new URLSearchParams({ ...Object.fromEntries(q), artifact: p.slice(5).join("/") }))],
  [["experiments", "*", "runs", "*", "*"], (p, q) => runPage(p[3], q)], // a tab of MLflow's run page
  [["compare-runs"], (p, q) => comparePage(list(q.get("runs")), q)],
  [["models", "*", "versions", "*"], (p, q) => modelPage(p[1], new URLSearchParams({ ...Object.fromEntries(q), version: p[3] }))],
  [["runs", "*"], (p, q) => runPage(p[1], q)],
  [["compare"], (p, q) => comparePage(list(q.get("runs")), q)],
  [["models", "*"], (p, q) => modelPage(p[1], q)],
  [["models"], (p, q) => modelsPage(q)],
  [["datasets", "*", "diff"], (p, q) => datasetDiffPage(p[1], q)],
  [["datasets", "*", "*"], (p, q) => datasetVersionPage(p[1], p[2], q)],
  [["datasets", "*"], (p) => datasetPage(p[1])],
  [["datasets"], () => datasetsPage()],
  [["deployments", "*"], (p) => deploymentPage(p[1])],
  [["deployments"], () => deploymentsPage()],
  [["monitors", "*", "features", "*"], (p, q) => featurePage(p[1], p[3], q)],
  [["monitors", "*", "windows", "*"], (p) => monitorWindowPage(p[1], p[3])],
  [["monitors", "*"], (p) => monitorPage(p[1])],
  [["monitors"], () => monitorsPage()],
  [["alerts", "*"], (p) => alertPage(p[1])],
  [["experiments"], (p, q) => experimentsPage(q)],
];

/** "*" matches one path segment, a final "**" one or more. */
const matches = (pattern, parts) => pattern.at(-1) === "**"
  ? parts.length >= pattern.length && pattern.slice(0, -1).every((s, i) => s === "*" || s === parts[i])
  : pattern.length === parts.length && pattern.every((s, i) => s === "*" || s === parts[i]);

let rendering = 0;
let shownPath = null;

async function render() {
  clearError();
  const { parts, query } = route();
  const page = pages.find(([pattern]) => matches(pattern, parts));
  const current = ++rendering;
  main.setAttribute("aria-busy", "true");
  for (const a of document.querySelectorAll("header nav a")) {
    if ((parts[0] ?? "experiments") === a.getAttribute("href").slice(2) || ["runs", "compare", "compare-runs"].includes(parts[0]) && a.getAttribute("href") === "#/experiments" || parts[0] === "alerts" && a.getAttribute("href") === "#/monitors") a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    if (page) await page[1](parts, query);
    else if (parts.length === 0) await experimentsPage(query);
    else throw new Error(`No page at #/${parts.join("/")}.`);
  } catch (error) {
    if (current !== rendering) return;
    showError(error);
    // Another page's content must not stay under this page's error; the same page with other
    // settings (a filter the server refused) keeps what it showed, the typed text included.
    if (parts.join("/") !== shownPath || main.textContent.includes("Loading") || !main.childElementCount) {
      document.title = "Error · Keel";
      fill(main, h("p", { class: "muted" }, "Nothing to show."));
    }
  } finally {
    if (current === rendering) {
      main.removeAttribute("aria-busy");
      // A new page (not the same page with other settings) takes the keyboard focus to its
      // content, as a page load would, so a keyboard or screen-reader user starts at its heading.
      const path = parts.join("/");
      if (shownPath !== null && path !== shownPath && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
      shownPath = path;
    }
  }
}

window.addEventListener("hashchange", render);
render();
