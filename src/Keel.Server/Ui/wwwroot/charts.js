// Charts of Keel's web UI, drawn with uPlot (npm package `uplot`, embedded by the build from
// Ui/client/node_modules): canvas line charts that stay fast with 100,000+ points.
import uPlot from "./uPlot.esm.js";
import { h, number } from "./lib.js";

export const PALETTE = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#1b7c83", "#e16f24", "#57606a", "#d63384", "#6f42c1"];
export const colour = (i) => PALETTE[i % PALETTE.length];

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled
 * towards zero); weight 0 gives the values back. Missing values (null, NaN) are kept as gaps.
 */
export function smooth(values, weight) {
  if (!(weight > 0)) return values;
  const out = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) { out[i] = null; continue; }
    last = last * weight + (1 - weight) * v;
    count++;
    out[i] = last / (1 - weight ** count);
  }
  return out;
}

/** Tick spacings for axes of whole numbers (steps): 1, 2, 5, 10, 20, 50, … */
const INTEGER_STEPS = Array.from({ length: 16 }, (_, i) => [1, 2, 5].map((m) => m * 10 ** i)).flat();

function countValues(values) {
  let n = 0;
  for (const v of values) if (v !== null && v !== undefined) n++;
  return n;
}

const axisValues = (u, splits) => splits.map((v) => (v === null ? "" : number(v)));

/**
 * Wraps a uPlot chart in a labelled figure that follows its container's width. `build(width)`
 * returns [options, data]; the chart is (re)made on first layout and resized afterwards.
 */
function figure(label, description, height, build, className = "chart") {
  const holder = h("div", { class: "chart-canvas" });
  const fig = h("figure", { class: className, role: "group", "aria-label": label },
    h("figcaption", {}, label, description ? h("span", { class: "muted" }, ` ${description}`) : null), holder);
  let chart = null;
  let latest = null;
  /** New data for the same series (live charts): drawn at once, or at first layout. */
  fig.setData = (data) => { latest = data; chart?.setData(data); };
  const observer = new ResizeObserver(() => {
    // Built before it is attached (pages assemble, then show): wait for a layout. Once drawn, a
    // detached chart (the page changed) is let go.
    if (!holder.isConnected || holder.clientWidth === 0) {
      if (chart && !holder.isConnected) { observer.disconnect(); chart.destroy(); chart = null; }
      return;
    }
    const width = Math.max(240, Math.floor(holder.clientWidth));
    if (chart) { if (Math.abs(chart.width - width) > 1) chart.setSize({ width, height }); return; }
    const [options, built] = build(width);
    const data = latest ?? built;
    const started = performance.now();
    chart = new uPlot({ width, height, ...options }, data, holder);
    // Ready once the browser painted the frame that holds the drawn canvas.
    requestAnimationFrame(() => {
      fig.dataset.renderMs = String(Math.round(performance.now() - started));
      fig.dataset.points = String(data.slice(1).reduce((n, s) => n + (Array.isArray(s) ? s.length : 0), 0));
      fig.dataset.ready = "true";
    });
  });
  observer.observe(holder);
  return fig;
}

/**
 * Line chart of one or more series over a shared, ascending x.
 * series: [{label, values, colour?, width?, dash?, faint?}], x: array; xTime: x in seconds since
 * the epoch (a date axis); logY: logarithmic y (values ≤ 0 are left out).
 */
export function lineChart({ label, description, x, series, xLabel, yLabel, xTime = false, xIntegers = false, logY = false, height = 300 }) {
  return figure(label, description, height, () => {
    const ys = series.map((s) => (logY ? s.values.map((v) => (v > 0 ? v : null)) : s.values));
    return [{
      scales: { x: { time: xTime }, y: logY ? { distr: 3, log: 10 } : {} },
      axes: [
        { label: xLabel, values: xTime ? undefined : axisValues, incrs: xIntegers ? INTEGER_STEPS : undefined },
        { label: yLabel, values: axisValues, size: 70 },
      ],
      series: [
        { label: xLabel ?? "x", value: (u, v) => (v === null ? "" : xTime ? new Date(v * 1000).toISOString().replace("T", " ").slice(0, 19) : number(v)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.faint ? `${s.colour ?? colour(i)}55` : s.colour ?? colour(i),
          width: s.width ?? (s.faint ? 1 : 1.5),
          dash: s.dash,
          spanGaps: true,
          // Short series show their points (a single point has no line to draw).
          points: { show: s.points ?? countValues(s.values) <= 60, size: 5, fill: s.colour ?? colour(i) },
          value: (u, v) => (v === null || v === undefined ? "—" : number(v)),
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    }, [x, ...ys]];
  });
}

/**
 * Scatter of points (x ascending; xLabels turns the x positions into category names), one series
 * per group; every point is drawn, no line between them.
 */
export function scatterChart({ label, description, x, series, xLabel, yLabel, xLabels, height = 300 }) {
  return figure(label, description, height, () => [{
    scales: { x: { time: false, range: xLabels ? [-0.5, xLabels.length - 0.5] : undefined } },
    axes: [
      { label: xLabel, values: xLabels ? (u, splits) => splits.map((v) => (Number.isInteger(v) ? xLabels[v] ?? "" : "")) : axisValues, splits: xLabels ? () => xLabels.map((_, i) => i) : undefined },
      { label: yLabel, values: axisValues, size: 70 },
    ],
    series: [
      { label: xLabel ?? "x", value: (u, v) => (v === null ? "" : xLabels ? xLabels[v] ?? "" : number(v)) },
      ...series.map((s, i) => ({
        label: s.label, stroke: s.colour ?? colour(i), fill: `${s.colour ?? colour(i)}88`,
        paths: () => null, points: { show: true, size: 9, width: 1 },
        value: (u, v) => (v === null || v === undefined ? "—" : number(v)),
      })),
    ],
    cursor: { points: { size: 11 } },
  }, [x, ...series.map((s) => s.values)]]);
}

/**
 * Grouped bars (a histogram of reference vs current, or one series): bins are named by
 * `categories`; each series is a count or share per bin.
 */
export function barChart({ label, description, categories, labels = categories, series, yLabel, height = 240 }) {
  const n = series.length;
  const size = 0.8 / n;
  return figure(label, description, height, () => [{
    scales: { x: { time: false, range: [-0.5, categories.length - 0.5] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    axes: [
      {
        // At most ~8 labels (every k-th bin): long bin names would overlap.
        values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? labels[v] ?? "" : "")),
        splits: () => categories.map((_, i) => i).filter((i) => categories.length <= 8 || i % Math.ceil(categories.length / 8) === 0),
        size: 40,
      },
      { label: yLabel, values: axisValues, size: 60 },
    ],
    series: [
      { label: "bin", value: (u, v) => (v === null ? "" : categories[v] ?? "") },
      ...series.map((s, i) => ({
        label: s.label, stroke: s.colour ?? colour(i), fill: `${s.colour ?? colour(i)}aa`, width: 1,
        paths: uPlot.paths.bars({ size: [size, 80], align: 0, disp: { x0: { unit: 1, values: () => categories.map((_, j) => j - 0.4 + i * size) }, size: { unit: 1, values: () => categories.map(() => size) } } }),
        points: { show: false },
        value: (u, v) => (v === null || v === undefined ? "—" : number(v)),
      })),
    ],
    cursor: { points: { show: false } },
  }, [categories.map((_, i) => i), ...series.map((s) => s.values)]]);
}

/** Aligns [x, y] tables on the union of their x values (uPlot.join): [x, y1, y2, …] with gaps as null. */
export const join = (tables) => uPlot.join(tables);
