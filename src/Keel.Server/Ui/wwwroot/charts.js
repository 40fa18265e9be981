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

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attributes = {}, ...children) => {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined && v !== null) element.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) element.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return element;
};

/**
 * Parallel coordinates: one vertical axis per dimension (numbers scaled to their range,
 * categories spread evenly), one line per item crossing each axis at its value, coloured along
 * the last axis (blue low → red high). dimensions: [{label, values: (number|string|undefined)[]}];
 * names: the items' labels (a line's tooltip).
 */
export function parallelCoordinates({ label, description, dimensions, names, height = 320 }) {
  const width = Math.max(480, dimensions.length * 150);
  const top = 36, bottom = height - 24, left = 60, right = width - 60;
  const x = (i) => (dimensions.length === 1 ? (left + right) / 2 : left + ((right - left) * i) / (dimensions.length - 1));
  const scales = dimensions.map((d) => {
    const present = d.values.filter((v) => v !== undefined && v !== null && v !== "");
    const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
    if (numeric) {
      const nums = present.map(Number);
      const lo = Math.min(...nums), hi = Math.max(...nums);
      return { numeric, ticks: [lo, hi], y: (v) => (hi === lo ? (top + bottom) / 2 : bottom - ((Number(v) - lo) / (hi - lo)) * (bottom - top)) };
    }
    const categories = [...new Set(present.map(String))].sort();
    return { numeric, ticks: categories, y: (v) => (categories.length === 1 ? (top + bottom) / 2 : bottom - (categories.indexOf(String(v)) / (categories.length - 1)) * (bottom - top)) };
  });
  const last = scales.at(-1);
  const lastValues = dimensions.at(-1).values;
  const tone = (i) => {
    const v = lastValues[i];
    if (v === undefined || v === null || !last.numeric || last.ticks[0] === last.ticks[1]) return "#0969da";
    const t = (Number(v) - last.ticks[0]) / (last.ticks[1] - last.ticks[0]);
    return `hsl(${Math.round(220 - 220 * t)} 75% 45%)`;
  };
  const lines = names.map((itemName, i) => {
    const points = dimensions.map((d, j) => (d.values[i] === undefined || d.values[i] === null || d.values[i] === "" ? null : `${x(j)},${scales[j].y(d.values[i])}`));
    if (points.some((p) => p === null)) return null; // an item without every value is left out
    return svg("polyline", { points: points.join(" "), fill: "none", stroke: tone(i), "stroke-width": 2, "stroke-opacity": 0.8, "data-run": itemName }, svg("title", {}, itemName));
  }).filter(Boolean);
  const axes = dimensions.map((d, j) => svg("g", {},
    svg("line", { x1: x(j), x2: x(j), y1: top, y2: bottom, stroke: "#57606a" }),
    svg("text", { x: x(j), y: top - 16, "text-anchor": "middle", "font-weight": 600, "font-size": 12 }, d.label),
    scales[j].numeric
      ? [svg("text", { x: x(j) + 6, y: bottom, "font-size": 11 }, number(scales[j].ticks[0])), svg("text", { x: x(j) + 6, y: top + 4, "font-size": 11 }, number(scales[j].ticks[1]))]
      : scales[j].ticks.map((t) => svg("text", { x: x(j) + 6, y: scales[j].y(t) + 4, "font-size": 11 }, t))));
  const fig = h("figure", { class: "chart", role: "group", "aria-label": label, "data-lines": lines.length },
    h("figcaption", {}, label, description ? h("span", { class: "muted" }, ` ${description}`) : null),
    h("div", { class: "scroll" }, svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${label}: ${lines.length} lines` }, axes, lines)));
  fig.dataset.ready = "true";
  return fig;
}
