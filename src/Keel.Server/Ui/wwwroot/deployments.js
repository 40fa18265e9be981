// Deployments: the list, and a deployment's routes and weights, shadow verdict, rollout steps and
// gate decisions, revision history with rollback, and live request rate, latency and error charts.
import { fill, crumbs, empty, h, keel, link, listSearch, main, number, percent, plural, showError, table, time } from "./lib.js";
import { lineChart } from "./charts.js";

export async function deploymentsPage() {
  document.title = "Deployments · Keel";
  const { deployments = [] } = await keel("GET", "deployments/list");
  const rows = deployments.map((d) => [h("tr", {},
    h("td", {}, h("a", { href: link(["deployments", d.name]) }, d.name)),
    h("td", {}, d.status),
    h("td", { class: "n" }, d.revision),
    h("td", {}, serving(d)),
    h("td", {}, d.shadow_serving ? `${d.shadow_serving.model_name} v${d.shadow_serving.version} (${percent(d.shadow_serving.share)})` : ""),
    h("td", {}, time(d.last_updated_time))), d]);
  fill(main,
    h("h1", {}, "Deployments"),
    deployments.length === 0 ? empty("No deployment yet: keel deploy create NAME --route models:/NAME@ALIAS.") : [
      listSearch("deployment-search", "Search deployments", rows, (d) => `${d.name} ${serving(d)}`),
      table("Deployments", ["Name", "Status", "Revision", "Serving", "Shadow", "Updated"], rows.map(([row]) => row))]);
}

const serving = (d) => (d.serving ?? d.routes ?? []).map((r) => r.version ? `${r.route}: ${r.model_name} v${r.version} (${percent(r.share)})` : `${r.name}: ${r.model_uri}`).join(", ");

export async function deploymentPage(name) {
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
  const events = history.events ?? [];
  const total = d.routes.reduce((n, r) => n + r.weight, 0);
  fill(main,
    crumbs(["Deployments", "#/deployments"], ""),
    h("h1", {}, d.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Endpoint"), h("dd", {}, d.endpoint),
      h("dt", {}, "Status"), h("dd", {}, d.status),
      h("dt", {}, "Revision"), h("dd", {}, d.revision),
      h("dt", {}, "Sticky header"), h("dd", {}, d.sticky_header ?? "none"),
      h("dt", {}, "Inference log"), h("dd", {}, `${percent(d.inference_log.sample_rate)} of requests, kept ${d.inference_log.retention_days} days`)),
    status,
    h("h2", {}, "Routes"),
    table("Routes", ["Route", "Model", "Weight", "Share", "Serving now"], d.routes.map((r) => {
      const now = (d.serving ?? []).find((s) => s.route === r.name);
      const share = total > 0 ? r.weight / total : 0;
      return h("tr", {}, h("td", {}, r.name), h("td", {}, r.model_uri), h("td", { class: "n" }, r.weight),
        h("td", {}, h("span", { class: "bar", style: `--share: ${share}`, role: "img", "aria-label": percent(share) }), ` ${percent(share)}`),
        h("td", {}, now ? `${now.model_name} v${now.version}` : "loading"));
    })),
    d.shadow ? [h("h2", {}, "Shadow"), shadow(d, verdict)] : null,
    d.rollout ? [h("h2", {}, "Rollout"), rollout(d.rollout, events)] : null,
    h("h2", {}, "Live traffic"),
    live(d),
    h("h2", {}, "Revisions"),
    table("Revisions", ["Revision", "Change", "Versions", "Message", "When", ""], (history.revisions ?? []).map((rev) => h("tr", {},
      h("td", { class: "n" }, rev.revision), h("td", {}, rev.kind), h("td", {}, (rev.versions ?? []).join(", ")),
      h("td", {}, rev.message ?? ""), h("td", {}, time(rev.time)),
      h("td", {}, rev.revision === d.revision ? "current"
        : h("button", { type: "button", onclick: () => rollback(rev.revision) }, `Roll back to revision ${rev.revision}`))))),
    h("h2", {}, "Events"),
    events.length === 0 ? empty("No events.")
      : h("ul", { class: "events" }, events.map((e) => h("li", {}, `${time(e.time)} · revision ${e.revision} · ${e.kind}: ${e.message}`))));
}

function shadow(d, verdict) {
  const v = verdict?.verdict;
  return h("div", {},
    h("p", {}, `${d.shadow.model_uri} gets a copy of ${percent(d.shadow.share)} of the traffic. `, h("strong", {}, v?.summary ?? "No verdict yet.")),
    v ? h("dl", { class: "facts" }, Object.entries(v).filter(([k, x]) => k !== "summary" && (typeof x === "number" || typeof x === "string" || typeof x === "boolean"))
      .map(([k, x]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, typeof x === "number" ? number(x) : String(x))])) : null);
}

/** The rollout's steps (the current one marked) and the gate decisions among the events. */
function rollout(r, events) {
  const decisions = events.filter((e) => /rollout|gate|promot|abort/i.test(`${e.kind} ${e.message}`));
  return h("div", {},
    h("p", {}, `Rolling out ${r.model_uri}: `, h("strong", {}, r.status), r.step !== undefined ? ` at step ${Number(r.step) + 1} of ${r.steps.length}` : "",
      r.step_started_time ? ` (since ${time(r.step_started_time)})` : ""),
    h("ol", { class: "steps", "aria-label": "Rollout steps" }, r.steps.map((s, i) => h("li", { class: i === r.step ? "current" : i < r.step ? "done" : null, "aria-current": i === r.step ? "step" : null },
      `${number(s.weight)} % of the traffic`, s.hold_seconds ? `, hold ${s.hold_seconds} s` : "", s.hold_requests ? `, at least ${s.hold_requests} requests` : ""))),
    r.gates ? h("p", { class: "muted" }, `Gates: error rate may rise by ${number(r.gates.max_error_rate_increase)}, p99 may grow ×${number(r.gates.max_p99_ratio)}, judged after ${r.gates.min_requests} requests.`) : null,
    decisions.length === 0 ? empty("No gate decision yet.")
      : h("ul", { "aria-label": "Gate decisions" }, decisions.map((e) => h("li", {}, `${time(e.time)} · ${e.kind}: ${e.message}`))));
}

// --- Live charts from the Prometheus endpoint ----------------------------------------------------

const POLL_MS = 2000;
const KEEP_POINTS = 150; // 5 minutes at one scrape every 2 s

/** Prometheus text → [{name, labels, value}] (the subset the serving metrics use). */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Quantile of a cumulative histogram's bucket deltas, interpolated inside the bucket (as histogram_quantile does). */
export function quantile(buckets, q) {
  const total = buckets.length ? buckets[buckets.length - 1].count : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return previous.le;
      const inBucket = b.count - previous.count;
      return previous.le + (b.le - previous.le) * (inBucket > 0 ? (rank - previous.count) / inBucket : 0);
    }
    previous = b;
  }
  return previous.le;
}

/** Sums of one deployment's counters at a scrape: requests, errors (5xx), latency buckets. */
function snapshot(samples, deployment) {
  let requests = 0;
  let errors = 0;
  const buckets = new Map();
  for (const s of samples) {
    if (s.labels.deployment !== deployment) continue;
    if (s.name === "keel_predictions_total") {
      requests += s.value;
      if (s.labels.status === "5xx") errors += s.value;
    } else if (s.name === "keel_prediction_duration_seconds_bucket") {
      const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
  }
  return { time: Date.now() / 1000, requests, errors, buckets };
}

function live(d) {
  const rate = lineChart({ label: "Requests per second", x: [], series: [{ label: "requests/s", values: [], points: false }, { label: "5xx/s", values: [], colour: "#cf222e", points: false }], xLabel: "time", xTime: true, yLabel: "per second", height: 200 });
  const latency = lineChart({ label: "Latency", description: "(seconds, from the histogram of the last interval)", x: [], series: [{ label: "p50", values: [], points: false }, { label: "p99", values: [], colour: "#8250df", points: false }], xLabel: "time", xTime: true, yLabel: "seconds", height: 200 });
  const note = h("p", { class: "muted", id: "live-status", "aria-live": "polite" }, `Scraping /metrics every ${POLL_MS / 1000} s…`);
  const series = { x: [], rate: [], errors: [], p50: [], p99: [] };
  let previous = null;
  const tick = async () => {
    if (!note.isConnected) return;
    try {
      const response = await fetch("/metrics");
      if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
      const now = snapshot(parsePrometheus(await response.text()), d.name);
      if (previous) {
        const seconds = Math.max(1e-3, now.time - previous.time);
        const delta = [...now.buckets.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count: count - (previous.buckets.get(le) ?? 0) }));
        series.x.push(now.time);
        series.rate.push((now.requests - previous.requests) / seconds);
        series.errors.push((now.errors - previous.errors) / seconds);
        series.p50.push(quantile(delta, 0.5));
        series.p99.push(quantile(delta, 0.99));
        for (const key of Object.keys(series)) if (series[key].length > KEEP_POINTS) series[key].shift();
        rate.setData([series.x, series.rate, series.errors]);
        latency.setData([series.x, series.p50, series.p99]);
        const last = series.rate.length - 1;
        note.textContent = `${number(series.rate[last])} requests/s, ${number(series.errors[last])} errors/s over the last ${Math.round(seconds)} s; ${plural(now.requests, "request")} since the server started.`;
        note.dataset.requests = String(now.requests);
        note.dataset.rate = String(series.rate[last]);
      }
      previous = now;
    } catch (error) {
      note.textContent = `Live charts paused: ${error.message}`;
    }
    setTimeout(tick, POLL_MS);
  };
  queueMicrotask(tick);
  return [note, h("div", { class: "charts" }, rate, latency)];
}
