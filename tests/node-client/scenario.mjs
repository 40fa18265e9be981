// Drives a Keel server with the npm `mlflow` package (2.0.7, Yuhsak Inoue) exactly as its users do.
// Usage: KEEL_URI=http://127.0.0.1:5000 node scenario.mjs
// Prints one JSON line {"ok":…,"checks":…,"failures":[…],…} on stdout; exit code 1 on any failure.
//
// Quirks of this client that the server has to live with (reference §9.1):
// - Experiments.list calls GET /experiments/list (removed in MLflow 2.0);
// - Experiments.setExperimentTag posts to /api/2.0/mlflow/experimentsset-experiment-tag (no slash);
// - success means HTTP 200 exactly; GET arguments go through Node's querystring;
// - Metrics.getHistory sends no max_results, so the server must return the whole history;
// - every POST body is console.log'ged by the library: sent to stderr below so stdout stays one line.
import { format } from 'node:util';
import MLflow from 'mlflow';

const uri = process.env.KEEL_URI;
if (!uri) {
  process.stderr.write('KEEL_URI is not set (e.g. KEEL_URI=http://127.0.0.1:5000)\n');
  process.exit(2);
}

console.log = (...args) => process.stderr.write(format(...args) + '\n');

const client = new MLflow({ endpoint: uri.replace(/\/+$/, '') });
const { Experiments, Runs, Metrics } = client;

const failures = [];
let checks = 0;
const state = {};

function check(step, condition, detail) {
  checks++;
  if (!condition) {
    failures.push({ step, detail });
  }
}

function equal(step, actual, expected) {
  check(step, actual === expected, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const asMap = (items) => Object.fromEntries((items ?? []).map((i) => [i.key, i.value]));
const now = Date.now();

async function scenario() {
  // Experiments -----------------------------------------------------------------------------------
  const name = `node-client-${now}-${Math.random().toString(36).slice(2, 8)}`;
  const created = await Experiments.create({ name });
  const experimentId = created?.experiment_id;
  check('experiments/create', typeof experimentId === 'string' && experimentId.length > 0, `experiment_id ${JSON.stringify(experimentId)}`);
  state.experiment_id = experimentId;

  const listed = await Experiments.list();
  const listedOne = (listed?.experiments ?? []).find((e) => e.experiment_id === experimentId);
  check('experiments/list', listedOne !== undefined, `experiment ${experimentId} missing from ${JSON.stringify(listed)}`);
  equal('experiments/list name', listedOne?.name, name);

  await Experiments.setExperimentTag({ experiment_id: experimentId, key: 'team', value: 'keel' });
  const fetched = await Experiments.get({ experiment_id: experimentId });
  equal('experiments/get name', fetched?.experiment?.name, name);
  equal('experiments/get lifecycle_stage', fetched?.experiment?.lifecycle_stage, 'active');
  equal('experimentsset-experiment-tag', asMap(fetched?.experiment?.tags).team, 'keel');

  // Runs: create and log ------------------------------------------------------------------------
  const run = await Runs.create({
    experiment_id: experimentId,
    start_time: now,
    tags: [{ key: 'source', value: 'npm' }],
  });
  const runId = run?.run?.info?.run_id ?? run?.run?.info?.run_uuid;
  check('runs/create', typeof runId === 'string' && runId.length > 0, `run ${JSON.stringify(run)}`);
  state.run_id = runId;
  equal('runs/create status', run?.run?.info?.status, 'RUNNING');
  equal('runs/create experiment_id', run?.run?.info?.experiment_id, experimentId);

  await Runs.logMetric({ run_id: runId, key: 'loss', value: 0.5, timestamp: now, step: 0 });
  await Runs.logMetric({ run_id: runId, key: 'loss', value: 0.25, timestamp: now + 1, step: 1 });
  await Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' });
  await Runs.setTag({ run_id: runId, key: 'stage', value: 'test' });
  await Runs.logBatch({
    run_id: runId,
    metrics: [
      { key: 'acc', value: 0.9, timestamp: now + 2, step: 0 },
      { key: 'loss', value: 0.125, timestamp: now + 2, step: 2 },
    ],
    params: [{ key: 'epochs', value: '3' }],
    tags: [{ key: 'batch', value: 'yes' }],
  });

  // Read back -----------------------------------------------------------------------------------
  const got = await Runs.get({ run_id: runId });
  const data = got?.run?.data ?? {};
  const params = asMap(data.params);
  const tags = asMap(data.tags);
  const metrics = Object.fromEntries((data.metrics ?? []).map((m) => [m.key, m]));
  equal('runs/get param lr', params.lr, '0.01');
  equal('runs/get param epochs (log-batch)', params.epochs, '3');
  equal('runs/get tag source (create)', tags.source, 'npm');
  equal('runs/get tag stage (set-tag)', tags.stage, 'test');
  equal('runs/get tag batch (log-batch)', tags.batch, 'yes');
  equal('runs/get metric acc', Number(metrics.acc?.value), 0.9);
  // The latest value of a metric is the one with the highest step.
  equal('runs/get metric loss (latest)', Number(metrics.loss?.value), 0.125);
  equal('runs/get metric loss step', Number(metrics.loss?.step ?? 0), 2);

  const history = await Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
  const values = (history?.metrics ?? [])
    .slice()
    .sort((a, b) => Number(a.step ?? 0) - Number(b.step ?? 0))
    .map((m) => Number(m.value));
  equal('metrics/get-history', JSON.stringify(values), JSON.stringify([0.5, 0.25, 0.125]));

  // Search --------------------------------------------------------------------------------------
  const hit = await Runs.search({
    experiment_ids: [experimentId],
    filter: "params.lr = '0.01' and metrics.acc > 0.5 and tags.stage = 'test'",
    run_view_type: 'ACTIVE_ONLY',
  });
  const hitIds = (hit?.runs ?? []).map((r) => r.info.run_id ?? r.info.run_uuid);
  equal('runs/search matching filter', JSON.stringify(hitIds), JSON.stringify([runId]));

  const miss = await Runs.search({ experiment_ids: [experimentId], filter: 'metrics.acc > 0.95' });
  equal('runs/search non-matching filter', (miss?.runs ?? []).length, 0);

  // Finish and delete ---------------------------------------------------------------------------
  const updated = await Runs.update({ run_id: runId, status: 'FINISHED', end_time: now + 10 });
  equal('runs/update status', updated?.run_info?.status, 'FINISHED');
  const finished = await Runs.get({ run_id: runId });
  equal('runs/get status after update', finished?.run?.info?.status, 'FINISHED');
  equal('runs/get end_time after update', Number(finished?.run?.info?.end_time), now + 10);

  await Runs.delete({ run_id: runId });
  const deleted = await Runs.get({ run_id: runId });
  equal('runs/get lifecycle_stage after delete', deleted?.run?.info?.lifecycle_stage, 'deleted');
  const active = await Runs.search({ experiment_ids: [experimentId], run_view_type: 'ACTIVE_ONLY' });
  equal('runs/search ACTIVE_ONLY after delete', (active?.runs ?? []).length, 0);
  const gone = await Runs.search({ experiment_ids: [experimentId], run_view_type: 'DELETED_ONLY' });
  equal('runs/search DELETED_ONLY after delete', (gone?.runs ?? []).length, 1);
}

let error;
try {
  await scenario();
} catch (e) {
  // The client wraps a non-200 answer as Error("Error: {status, statusText, data}").
  error = String(e?.message ?? e) + (e?.cause ? ` (${e.cause})` : '');
  failures.push({ step: 'request', detail: error });
}

const ok = failures.length === 0;
process.stdout.write(JSON.stringify({ ok, checks, failures, ...state }) + '\n');
process.exitCode = ok ? 0 : 1;
