#!/usr/bin/env python3
"""Behavioural probe for an MLflow tracking server, driven by the real MLflow Python client.

Usage:
    PYTHONPATH=/work/ref/stubs:/work/ref/mlflow-src /usr/bin/python3 /work/ref/probe_client.py URI [--quick]

URI is a tracking URI such as http://127.0.0.1:5055 (MLflow) or http://127.0.0.1:5000 (Keel).
Each check prints "PASS name" or "FAIL name: reason"; the last line is a summary
("probe: N passed, M failed") and the exit status is non-zero if any check failed.
--quick skips the 30,000-point metric and the 5 MB artifact (for fast iteration).

All entities are created under a unique prefix so the probe can be re-run against the same server.
"""
import math
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
import uuid

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

if len(sys.argv) < 2:
    print(__doc__)
    sys.exit(2)
URI = sys.argv[1]
QUICK = "--quick" in sys.argv[2:]
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "300")

mlflow.set_tracking_uri(URI)
client = MlflowClient(tracking_uri=URI)

PREFIX = f"probe-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
RESULTS = []
STATE = {}  # values shared between checks
TMP = tempfile.mkdtemp(prefix="mlflow-probe-")


def check(name):
    """Decorator: run the function immediately as a named check."""

    def deco(fn):
        try:
            fn()
            RESULTS.append((name, True, ""))
            print(f"PASS {name}", flush=True)
        except Exception as e:  # noqa: BLE001
            msg = f"{type(e).__name__}: {e}"
            if not isinstance(e, AssertionError):
                tb = traceback.format_exc().strip().splitlines()
                msg += " | " + " / ".join(tb[-4:-1])
            RESULTS.append((name, False, msg))
            print(f"FAIL {name}: {msg[:1500]}", flush=True)
        return fn

    return deco


def eq(actual, expected, what=""):
    assert actual == expected, f"{what} expected {expected!r}, got {actual!r}"


def raises(code, fn, *a, **k):
    try:
        fn(*a, **k)
    except MlflowException as e:
        assert e.error_code == code, f"expected error_code {code}, got {e.error_code}: {e.message}"
        return e
    raise AssertionError(f"expected MlflowException {code}, nothing raised")


def need(*keys):
    for k in keys:
        assert k in STATE, f"prerequisite {k!r} missing (earlier check failed)"
    return [STATE[k] for k in keys] if len(keys) > 1 else STATE[keys[0]]


# ----------------------------------------------------------------------------------------------
# Experiments
# ----------------------------------------------------------------------------------------------
EXP = f"{PREFIX}-main"


@check("experiment.create_and_get")
def _():
    exp_id = client.create_experiment(EXP, tags={"team": "keel", "kind": "probe"})
    assert isinstance(exp_id, str) and exp_id, f"bad id {exp_id!r}"
    STATE["exp_id"] = exp_id
    e = client.get_experiment(exp_id)
    eq(e.experiment_id, exp_id, "id")
    eq(e.name, EXP, "name")
    eq(e.lifecycle_stage, "active", "lifecycle_stage")
    eq(e.tags.get("team"), "keel", "tag team")
    eq(e.tags.get("kind"), "probe", "tag kind")
    assert e.artifact_location, "artifact_location empty"
    assert e.creation_time and e.creation_time > 1e12, f"creation_time {e.creation_time}"
    assert e.last_update_time and e.last_update_time >= e.creation_time, "last_update_time"
    STATE["exp_artifact_location"] = e.artifact_location


@check("experiment.artifact_location_format")
def _():
    exp_id, loc = need("exp_id", "exp_artifact_location")
    # MLflow with --artifacts-destination: "mlflow-artifacts:/<exp_id>"
    assert loc.endswith(f"/{exp_id}"), f"artifact_location {loc!r} does not end with /{exp_id}"


@check("experiment.get_by_name")
def _():
    exp_id = need("exp_id")
    e = client.get_experiment_by_name(EXP)
    assert e is not None, "not found"
    eq(e.experiment_id, exp_id, "id")
    assert client.get_experiment_by_name(f"{PREFIX}-does-not-exist") is None, "unknown name not None"


@check("experiment.create_duplicate_name_fails")
def _():
    need("exp_id")
    raises("RESOURCE_ALREADY_EXISTS", client.create_experiment, EXP)


@check("experiment.get_unknown_id_fails")
def _():
    raises("RESOURCE_DOES_NOT_EXIST", client.get_experiment, "987654321")


@check("experiment.default_experiment_exists")
def _():
    e = client.get_experiment("0")
    eq(e.name, "Default", "name of experiment 0")


@check("experiment.search_filter_order_paging")
def _():
    ids = {}
    for s in ("c", "a", "b", "d"):
        ids[s] = client.create_experiment(f"{PREFIX}-s-{s}", tags={"group": f"{PREFIX}"})
        time.sleep(0.01)
    STATE["search_exp_ids"] = ids
    flt = f"name LIKE '{PREFIX}-s-%'"
    res = client.search_experiments(filter_string=flt, order_by=["name ASC"])
    eq([e.name for e in res], [f"{PREFIX}-s-{s}" for s in "abcd"], "name ASC")
    res = client.search_experiments(filter_string=flt, order_by=["name DESC"])
    eq([e.name for e in res], [f"{PREFIX}-s-{s}" for s in "dcba"], "name DESC")
    # default order: last_update_time DESC (then experiment_id)... created in order c,a,b,d
    res = client.search_experiments(filter_string=flt)
    eq([e.name for e in res], [f"{PREFIX}-s-{s}" for s in "dbac"], "default order")
    # paging
    p1 = client.search_experiments(filter_string=flt, order_by=["name ASC"], max_results=3)
    eq([e.name for e in p1], [f"{PREFIX}-s-{s}" for s in "abc"], "page1")
    assert p1.token, "page1 token missing"
    STATE["exp_page_token"] = p1.token
    p2 = client.search_experiments(
        filter_string=flt, order_by=["name ASC"], max_results=3, page_token=p1.token
    )
    eq([e.name for e in p2], [f"{PREFIX}-s-d"], "page2")
    assert not p2.token, f"page2 token should be empty, got {p2.token!r}"


@check("experiment.search_by_tag_and_ilike")
def _():
    need("search_exp_ids")
    res = client.search_experiments(filter_string=f"tags.group = '{PREFIX}'")
    eq(len(res), 4, "tag filter count")
    res = client.search_experiments(filter_string=f"name ILIKE '{PREFIX.upper()}-S-A'")
    eq([e.name for e in res], [f"{PREFIX}-s-a"], "ILIKE")
    res = client.search_experiments(filter_string=f"name = '{PREFIX}-s-b'")
    eq(len(res), 1, "name = ")


@check("experiment.set_tag")
def _():
    exp_id = need("exp_id")
    client.set_experiment_tag(exp_id, "stage", "one")
    client.set_experiment_tag(exp_id, "stage", "two")  # overwrite allowed
    eq(client.get_experiment(exp_id).tags.get("stage"), "two", "tag")


@check("experiment.rename")
def _():
    ids = need("search_exp_ids")
    client.rename_experiment(ids["d"], f"{PREFIX}-s-d-renamed")
    eq(client.get_experiment(ids["d"]).name, f"{PREFIX}-s-d-renamed", "renamed")
    assert client.get_experiment_by_name(f"{PREFIX}-s-d") is None, "old name still resolves"


@check("experiment.delete_restore")
def _():
    ids = need("search_exp_ids")
    eid = ids["c"]
    client.delete_experiment(eid)
    eq(client.get_experiment(eid).lifecycle_stage, "deleted", "after delete")
    flt = f"name LIKE '{PREFIX}-s-%'"
    active = {e.experiment_id for e in client.search_experiments(filter_string=flt)}
    assert eid not in active, "deleted experiment in ACTIVE_ONLY search"
    deleted = {
        e.experiment_id
        for e in client.search_experiments(filter_string=flt, view_type=ViewType.DELETED_ONLY)
    }
    eq(deleted, {eid}, "DELETED_ONLY")
    alls = client.search_experiments(filter_string=flt, view_type=ViewType.ALL)
    eq(len(alls), 4, "ALL count")
    # get_experiment_by_name still finds deleted experiments
    e = client.get_experiment_by_name(f"{PREFIX}-s-c")
    assert e is not None and e.lifecycle_stage == "deleted", "by-name of deleted"
    # creating a run in a deleted experiment is refused
    raises("INVALID_PARAMETER_VALUE", client.create_run, eid)
    client.restore_experiment(eid)
    eq(client.get_experiment(eid).lifecycle_stage, "active", "after restore")


# ----------------------------------------------------------------------------------------------
# Runs: logging
# ----------------------------------------------------------------------------------------------
@check("run.start_with_name_and_tags")
def _():
    exp_id = need("exp_id")
    run = mlflow.start_run(experiment_id=exp_id, run_name="main-run", tags={"team": "keel"})
    STATE["run_id"] = run.info.run_id
    info = run.info
    eq(info.run_name, "main-run", "run_name")
    eq(info.status, "RUNNING", "status")
    eq(info.lifecycle_stage, "active", "lifecycle")
    eq(info.experiment_id, exp_id, "experiment_id")
    assert len(info.run_id) == 32, f"run_id {info.run_id!r}"
    assert info.start_time and info.start_time > 1e12, "start_time"
    assert info.artifact_uri.endswith(f"/{exp_id}/{info.run_id}/artifacts"), info.artifact_uri
    STATE["run_artifact_uri"] = info.artifact_uri
    r = client.get_run(info.run_id)
    eq(r.data.tags.get("team"), "keel", "tag")
    eq(r.data.tags.get("mlflow.runName"), "main-run", "mlflow.runName tag")
    eq(r.info.end_time, None, "end_time while running")


@check("run.log_params")
def _():
    run_id = need("run_id")
    mlflow.log_param("alpha", 0.5)
    mlflow.log_params({"optimizer": "Adam", "layers": 3, "empty": ""})
    mlflow.log_param("alpha", 0.5)  # same value again is fine
    p = client.get_run(run_id).data.params
    eq(p.get("alpha"), "0.5", "alpha")
    eq(p.get("optimizer"), "Adam", "optimizer")
    eq(p.get("layers"), "3", "layers")
    eq(p.get("empty"), "", "empty param value")


@check("run.log_param_change_fails")
def _():
    run_id = need("run_id")
    raises("INVALID_PARAMETER_VALUE", client.log_param, run_id, "alpha", 0.7)
    eq(client.get_run(run_id).data.params.get("alpha"), "0.5", "alpha unchanged")


@check("run.log_metrics_steps_nan_inf")
def _():
    run_id = need("run_id")
    for step, v in enumerate([1.0, 0.5, 0.25]):
        mlflow.log_metric("loss", v, step=step)
    mlflow.log_metric("nanm", float("nan"))
    mlflow.log_metric("posinf", float("inf"))
    mlflow.log_metric("neginf", float("-inf"))
    mlflow.log_metric("acc", 0.9)
    mlflow.log_metrics({"m1": 1.5, "m2": -2.0}, step=7)
    m = client.get_run(run_id).data.metrics
    eq(m.get("loss"), 0.25, "latest loss (max step)")
    assert math.isnan(m.get("nanm")), f"nanm {m.get('nanm')!r}"
    # MLflow's SQL store clamps +-inf to +-sys.float_info.max (1.7976931348623157e308) on write,
    # so the client reads back a finite number, not inf.
    eq(m.get("posinf"), sys.float_info.max, "posinf (clamped)")
    eq(m.get("neginf"), -sys.float_info.max, "neginf (clamped)")
    eq(m.get("acc"), 0.9, "acc")
    eq((m.get("m1"), m.get("m2")), (1.5, -2.0), "m1/m2")


@check("run.latest_metric_is_max_step_then_max_timestamp")
def _():
    run_id = need("run_id")
    client.log_metric(run_id, "lat", 10.0, timestamp=2000, step=5)
    client.log_metric(run_id, "lat", 20.0, timestamp=1000, step=3)  # lower step: not latest
    client.log_metric(run_id, "lat", 30.0, timestamp=1500, step=5)  # same step, lower ts
    eq(client.get_run(run_id).data.metrics.get("lat"), 10.0, "latest")


@check("run.metric_history")
def _():
    run_id = need("run_id")
    h = client.get_metric_history(run_id, "loss")
    eq(sorted((x.step, x.value) for x in h), [(0, 1.0), (1, 0.5), (2, 0.25)], "history")
    assert all(x.key == "loss" and x.timestamp > 1e12 for x in h), "key/timestamp"
    h = client.get_metric_history(run_id, "nanm")
    assert len(h) == 1 and math.isnan(h[0].value), f"nan history {h}"
    h = client.get_metric_history(run_id, "posinf")
    eq([x.value for x in h], [sys.float_info.max], "inf history (clamped)")
    eq(client.get_metric_history(run_id, "never-logged"), [], "unknown metric history")


@check("run.set_and_delete_tag")
def _():
    run_id = need("run_id")
    mlflow.set_tag("note", "hello world")
    mlflow.set_tags({"t1": "v1", "t2": "v2"})
    client.set_tag(run_id, "t1", "v1b")  # overwrite allowed
    client.delete_tag(run_id, "t2")
    t = client.get_run(run_id).data.tags
    eq(t.get("note"), "hello world", "note")
    eq(t.get("t1"), "v1b", "t1")
    assert "t2" not in t, "t2 not deleted"
    raises("RESOURCE_DOES_NOT_EXIST", client.delete_tag, run_id, "t2")


@check("run.log_batch")
def _():
    run_id = need("run_id")
    ts = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric("bm", 1.0, ts, 0), Metric("bm", 2.0, ts, 1), Metric("bm2", 3.0, ts, 0)],
        params=[Param("bp", "x"), Param("bp2", "y")],
        tags=[RunTag("bt", "z")],
    )
    r = client.get_run(run_id)
    eq(r.data.metrics.get("bm"), 2.0, "bm latest")
    eq(r.data.metrics.get("bm2"), 3.0, "bm2")
    eq((r.data.params.get("bp"), r.data.params.get("bp2")), ("x", "y"), "params")
    eq(r.data.tags.get("bt"), "z", "tag")
    eq(len(client.get_metric_history(run_id, "bm")), 2, "bm history")
    # empty batch is accepted
    client.log_batch(run_id, metrics=[], params=[], tags=[])


@check("run.log_batch_client_splits_large_batches")
def _():
    # the client splits params/tags into chunks of 100 (and metrics to fill 1000 entities)
    run_id = need("run_id")
    client.log_batch(run_id, params=[Param(f"p{i}", "v") for i in range(150)])
    eq(sum(1 for k in client.get_run(run_id).data.params if k.startswith("p") and k[1:].isdigit()), 150, "params")


# Raw HTTP checks (what the server itself enforces; the client would hide these).
def raw(method, path, **kw):
    import requests

    return requests.request(method, URI.rstrip("/") + path, timeout=60, **kw)


@check("raw.log_batch_over_server_limit_is_400")
def _():
    run_id = need("run_id")
    resp = raw("POST", "/api/2.0/mlflow/runs/log-batch",
               json={"run_id": run_id, "params": [{"key": f"q{i}", "value": "v"} for i in range(101)]})
    eq(resp.status_code, 400, "status")
    eq(resp.json().get("error_code"), "INVALID_PARAMETER_VALUE", "error_code")
    resp = raw("POST", "/api/2.0/mlflow/runs/log-batch",
               json={"run_id": run_id, "metrics": [{"key": "q", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]})
    eq(resp.status_code, 400, "status (1001 metrics)")


@check("raw.error_body_shape")
def _():
    resp = raw("GET", "/api/2.0/mlflow/runs/get", params={"run_id": "0" * 32})
    eq(resp.status_code, 404, "status")
    body = resp.json()
    eq(set(body), {"error_code", "message"}, "keys")
    eq(body["error_code"], "RESOURCE_DOES_NOT_EXIST", "error_code")
    resp = raw("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": PREFIX + "-nope"})
    eq(resp.status_code, 404, "get-by-name unknown status")
    resp = raw("POST", "/api/2.0/mlflow/experiments/create", json={})
    eq(resp.status_code, 400, "create without name")
    eq(resp.json().get("error_code"), "INVALID_PARAMETER_VALUE", "create without name code")


@check("run.metric_history_30000_points")
def _():
    run_id = need("run_id")
    n = 2000 if QUICK else 30000
    ts = int(time.time() * 1000)
    chunk = 1000  # server limit per log_batch
    for start in range(0, n, chunk):
        client.log_batch(
            run_id,
            metrics=[Metric("big", float(i) / 2, ts + i, i) for i in range(start, min(n, start + chunk))],
        )
    h = client.get_metric_history(run_id, "big")
    eq(len(h), n, "history length")
    eq(sorted(x.step for x in h), list(range(n)), "steps")
    assert all(x.value == x.step / 2 for x in h), "values"
    eq(client.get_run(run_id).data.metrics.get("big"), (n - 1) / 2, "latest big")


# ----------------------------------------------------------------------------------------------
# Artifacts
# ----------------------------------------------------------------------------------------------
@check("artifacts.log_dict_text")
def _():
    run_id = need("run_id")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.json")
    mlflow.log_text("some text\n", "notes/readme.txt")
    eq(mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json"), {"a": 1, "b": [1, 2]}, "dict")
    eq(mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.txt"), "some text\n", "text")


@check("artifacts.log_artifact_and_artifacts")
def _():
    run_id = need("run_id")
    single = os.path.join(TMP, "single.txt")
    with open(single, "w") as f:
        f.write("single file")
    mlflow.log_artifact(single)  # root
    client.log_artifact(run_id, single, artifact_path="files/x")
    src = os.path.join(TMP, "bundle")
    os.makedirs(os.path.join(src, "sub", "deeper"))
    with open(os.path.join(src, "top.txt"), "w") as f:
        f.write("top")
    with open(os.path.join(src, "sub", "b.csv"), "w") as f:
        f.write("x,y\n1,2\n")
    big = os.path.join(src, "sub", "deeper", "blob.bin")
    rnd = random.Random(42)
    size = 64 * 1024 if QUICK else 5 * 1024 * 1024 + 123
    with open(big, "wb") as f:
        f.write(rnd.randbytes(size))
    STATE["bundle_src"] = src
    STATE["blob_size"] = size
    mlflow.log_artifacts(src, artifact_path="bundle")
    client.log_artifacts(run_id, src)  # also at root, no artifact_path


@check("artifacts.list_root")
def _():
    run_id = need("run_id", "bundle_src")[0]
    items = client.list_artifacts(run_id)
    got = {(i.path, i.is_dir) for i in items}
    for exp in [
        ("config.json", False),
        ("notes", True),
        ("single.txt", False),
        ("files", True),
        ("bundle", True),
        ("top.txt", False),
        ("sub", True),
    ]:
        assert exp in got, f"{exp} not in {sorted(got)}"
    sizes = {i.path: i.file_size for i in items}
    eq(sizes["single.txt"], len("single file"), "file_size")
    eq(sizes["bundle"], None, "dir file_size")
    eq([i.path for i in items], sorted(i.path for i in items), "sorted by path")


@check("artifacts.list_subfolder")
def _():
    run_id, size = need("run_id", "blob_size")
    items = client.list_artifacts(run_id, "bundle/sub")
    eq(
        sorted((i.path, i.is_dir) for i in items),
        [("bundle/sub/b.csv", False), ("bundle/sub/deeper", True)],
        "bundle/sub",
    )
    items = client.list_artifacts(run_id, "bundle/sub/deeper")
    eq([(i.path, i.file_size) for i in items], [("bundle/sub/deeper/blob.bin", size)], "deeper")
    eq(client.list_artifacts(run_id, "files/x"), client.list_artifacts(run_id, "files/x/"), "slash")
    eq(client.list_artifacts(run_id, "no/such/dir"), [], "missing dir lists empty")
    # listing a file path yields nothing
    eq(client.list_artifacts(run_id, "config.json"), [], "list of a file")


@check("artifacts.download")
def _():
    run_id, src = need("run_id", "bundle_src")
    dst = os.path.join(TMP, "dl")
    os.makedirs(dst)
    out = client.download_artifacts(run_id, "bundle", dst)
    for rel in ["top.txt", "sub/b.csv", "sub/deeper/blob.bin"]:
        with open(os.path.join(src, rel), "rb") as a, open(os.path.join(out, rel), "rb") as b:
            assert a.read() == b.read(), f"content mismatch {rel}"
    p = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="files/x/single.txt", dst_path=dst)
    with open(p) as f:
        eq(f.read(), "single file", "single download")
    # whole run
    allp = mlflow.artifacts.download_artifacts(f"runs:/{run_id}/", dst_path=os.path.join(TMP, "all"))
    assert os.path.isfile(os.path.join(allp, "sub", "deeper", "blob.bin")), "full download"


@check("artifacts.download_missing_fails")
def _():
    run_id = need("run_id")
    try:
        client.download_artifacts(run_id, "nope.txt", TMP)
    except Exception as e:  # noqa: BLE001 - MLflow raises MlflowException or OSError depending on version
        STATE["missing_artifact_error"] = repr(e)[:300]
        return
    raise AssertionError("no error for missing artifact")


# ----------------------------------------------------------------------------------------------
# Datasets / inputs
# ----------------------------------------------------------------------------------------------
@check("run.log_input_pandas_dataset")
def _():
    import pandas as pd

    run_id = need("run_id")
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]})
    ds = mlflow.data.from_pandas(df, source="file:///tmp/train.csv", targets="y", name="train-ds")
    mlflow.log_input(ds, context="training")
    mlflow.log_input(ds, context="training")  # idempotent
    r = client.get_run(run_id)
    dis = r.inputs.dataset_inputs
    eq(len(dis), 1, "dataset_inputs count")
    d = dis[0].dataset
    eq(d.name, "train-ds", "name")
    eq(d.digest, ds.digest, "digest")
    eq(d.source_type, "local", "source_type")
    assert "train.csv" in d.source, d.source
    assert d.schema and "mlflow_colspec" in d.schema, f"schema {d.schema!r}"
    assert d.profile and "num_rows" in d.profile, f"profile {d.profile!r}"
    eq({t.key: t.value for t in dis[0].tags}, {"mlflow.data.context": "training"}, "input tags")


@check("run.end_run_finished")
def _():
    run_id = need("run_id")
    mlflow.end_run()
    r = client.get_run(run_id)
    eq(r.info.status, "FINISHED", "status")
    assert r.info.end_time and r.info.end_time >= r.info.start_time, "end_time"


# ----------------------------------------------------------------------------------------------
# Search runs
# ----------------------------------------------------------------------------------------------
@check("search.setup_runs")
def _():
    exp_id = need("exp_id")
    ids = {}
    base = int(time.time() * 1000)
    spec = [
        ("r-a", "FINISHED", {"acc": 0.5, "loss": 3.0}, {"lr": "0.1", "optimizer": "SGD"}, {"grp": "x", "note": "hello"}),
        ("r-b", "FAILED", {"acc": 0.8}, {"lr": "0.01", "optimizer": "adam"}, {"grp": "x"}),
        ("r-c", "FINISHED", {"loss": 1.0}, {"lr": "0.1"}, {"grp": "y", "note": "HELP me"}),
        ("r-d", "RUNNING", {"acc": float("nan")}, {}, {"grp": "y"}),
        ("r-e", "KILLED", {"acc": 0.95, "loss": 0.5}, {"optimizer": "Adamax"}, {}),
    ]
    for i, (name, status, metrics, params, tags) in enumerate(spec):
        r = client.create_run(exp_id, start_time=base + i * 1000, tags=tags, run_name=name)
        rid = r.info.run_id
        ids[name] = rid
        client.log_batch(
            rid,
            metrics=[Metric(k, v, base, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
        )
        if status != "RUNNING":
            client.set_terminated(rid, status=status, end_time=base + i * 1000 + 500)
    STATE["sr_ids"] = ids
    STATE["sr_base"] = base
    eq(client.get_run(ids["r-b"]).info.status, "FAILED", "r-b status")
    eq(client.get_run(ids["r-a"]).info.end_time, base + 500, "r-a end_time")


def names(runs):
    ids = need("sr_ids")
    inv = {v: k for k, v in ids.items()}
    return [inv.get(r.info.run_id, r.info.run_id) for r in runs]


def sr(flt="", **kw):
    exp_id = need("exp_id")
    main = need("run_id")
    runs = client.search_runs([exp_id], filter_string=flt, **kw)
    return [n for n in names(runs) if n != main]


@check("search.default_order_start_time_desc")
def _():
    exp_id = need("exp_id")
    got = names(client.search_runs([exp_id], filter_string=""))
    got = [n for n in got if n.startswith("r-")]
    eq(got, ["r-e", "r-d", "r-c", "r-b", "r-a"], "default order")


@check("search.metric_filters")
def _():
    eq(sr("metrics.acc > 0.6"), ["r-e", "r-b"], "acc > 0.6")
    eq(sr("metrics.acc >= 0.5 and metrics.loss < 2"), ["r-e"], "acc>=0.5 and loss<2")
    eq(sr("metrics.loss = 1.0"), ["r-c"], "loss = 1")
    got = sr("metrics.acc != 0.5")
    assert "r-b" in got and "r-e" in got and "r-a" not in got and "r-c" not in got, f"acc != 0.5: {got}"


@check("search.param_filters")
def _():
    eq(sorted(sr("params.lr = '0.1'")), ["r-a", "r-c"], "lr = 0.1")
    eq(sorted(sr("params.optimizer LIKE 'Adam%'")), ["r-e"], "LIKE case-sensitive")
    eq(sorted(sr("params.optimizer ILIKE 'adam%'")), ["r-b", "r-e"], "ILIKE")
    eq(sorted(sr("params.lr != '0.1'")), ["r-b"], "lr != 0.1")


@check("search.tag_filters")
def _():
    eq(sorted(sr("tags.grp = 'x'")), ["r-a", "r-b"], "grp = x")
    eq(sorted(sr("tags.note LIKE 'hel%'")), ["r-a"], "note LIKE")
    eq(sorted(sr("tags.note ILIKE 'hel%'")), ["r-a", "r-c"], "note ILIKE")
    eq(sorted(sr("tags.`mlflow.runName` = 'r-c'")), ["r-c"], "backticked mlflow.runName")
    eq(sorted(sr("tags.\"grp\" = 'y'")), ["r-c", "r-d"], "double-quoted key")


@check("search.attribute_filters")
def _():
    ids, base = need("sr_ids", "sr_base")
    eq(sr("attributes.run_name = 'r-b'"), ["r-b"], "run_name")
    eq(sr("run_name = 'r-c'"), ["r-c"], "run_name no prefix")
    eq(sorted(sr("attributes.status = 'FINISHED'")), ["r-a", "r-c"], "status FINISHED")
    eq(sr("attributes.status = 'KILLED'"), ["r-e"], "KILLED")
    eq(sr(f"attributes.start_time > {base + 2500}"), ["r-e", "r-d"], "start_time >")
    eq(sr(f"attributes.start_time >= {base + 1000} AND attributes.start_time < {base + 3000}"), ["r-c", "r-b"], "range")
    eq(sorted(sr("attributes.run_name LIKE 'r-%' AND attributes.status != 'RUNNING'")), ["r-a", "r-b", "r-c", "r-e"], "LIKE run_name")
    eq(sr("attributes.run_name ILIKE 'R-D'"), ["r-d"], "ILIKE run_name")
    eq(sr(f"attributes.end_time = {base + 500}"), ["r-a"], "end_time")


@check("search.run_id_in")
def _():
    ids = need("sr_ids")
    flt = f"attributes.run_id IN ('{ids['r-a']}', '{ids['r-d']}')"
    eq(sr(flt), ["r-d", "r-a"], "IN")
    flt = f"attributes.run_id NOT IN ('{ids['r-a']}', '{ids['r-d']}') AND run_name LIKE 'r-%'"
    eq(sr(flt), ["r-e", "r-c", "r-b"], "NOT IN")
    eq(sr(f"attributes.run_id = '{ids['r-b']}'"), ["r-b"], "run_id =")


@check("search.order_by_metric_desc_missing_last")
def _():
    got = [n for n in sr(order_by=["metrics.acc DESC"]) if n.startswith("r-")]
    # MLflow sqlalchemy: values desc, then NaN, then missing (missing ordered by start_time desc)
    eq(got, ["r-e", "r-b", "r-a", "r-d", "r-c"], "acc DESC")
    got = [n for n in sr(order_by=["metrics.acc ASC"]) if n.startswith("r-")]
    eq(got, ["r-a", "r-b", "r-e", "r-d", "r-c"], "acc ASC")
    got = [n for n in sr(order_by=["params.lr ASC", "attributes.run_name DESC"]) if n.startswith("r-")]
    eq(got, ["r-b", "r-c", "r-a", "r-e", "r-d"], "params.lr ASC, run_name DESC")
    got = [n for n in sr(order_by=["attributes.start_time ASC"]) if n.startswith("r-")]
    eq(got, ["r-a", "r-b", "r-c", "r-d", "r-e"], "start_time ASC")


@check("search.pagination")
def _():
    exp_id = need("exp_id")
    flt = "attributes.run_name LIKE 'r-%'"
    p1 = client.search_runs([exp_id], filter_string=flt, max_results=2)
    eq(names(p1), ["r-e", "r-d"], "page1")
    assert p1.token, "no token on page1"
    STATE["run_page_token"] = p1.token
    p2 = client.search_runs([exp_id], filter_string=flt, max_results=2, page_token=p1.token)
    eq(names(p2), ["r-c", "r-b"], "page2")
    p3 = client.search_runs([exp_id], filter_string=flt, max_results=2, page_token=p2.token)
    eq(names(p3), ["r-a"], "page3")
    assert not p3.token, f"page3 token {p3.token!r}"


@check("search.run_view_type_and_delete_restore")
def _():
    exp_id = need("exp_id")
    ids = need("sr_ids")
    client.delete_run(ids["r-c"])
    eq(client.get_run(ids["r-c"]).info.lifecycle_stage, "deleted", "deleted")
    flt = "attributes.run_name LIKE 'r-%'"
    active = names(client.search_runs([exp_id], flt, run_view_type=ViewType.ACTIVE_ONLY))
    deleted = names(client.search_runs([exp_id], flt, run_view_type=ViewType.DELETED_ONLY))
    alls = names(client.search_runs([exp_id], flt, run_view_type=ViewType.ALL))
    eq(active, ["r-e", "r-d", "r-b", "r-a"], "ACTIVE_ONLY")
    eq(deleted, ["r-c"], "DELETED_ONLY")
    eq(alls, ["r-e", "r-d", "r-c", "r-b", "r-a"], "ALL")
    client.restore_run(ids["r-c"])
    eq(client.get_run(ids["r-c"]).info.lifecycle_stage, "active", "restored")


@check("search.multiple_experiments_and_fluent_dataframe")
def _():
    exp_id = need("exp_id")
    ids = need("search_exp_ids")
    other = client.create_run(ids["a"], run_name="r-other")
    runs = client.search_runs([exp_id, ids["a"]], "attributes.run_name LIKE 'r-%'")
    eq(len(runs), 6, "two experiments")
    df = mlflow.search_runs(experiment_ids=[exp_id], filter_string="attributes.run_name = 'r-e'")
    eq(len(df), 1, "df rows")
    eq(df.iloc[0]["metrics.acc"], 0.95, "df metric")
    eq(df.iloc[0]["params.optimizer"], "Adamax", "df param")
    eq(df.iloc[0]["tags.mlflow.runName"], "r-e", "df tag")
    client.set_terminated(other.info.run_id)


@check("search.invalid_filter_fails")
def _():
    exp_id = need("exp_id")
    raises("INVALID_PARAMETER_VALUE", client.search_runs, [exp_id], "metrics.acc >>> 1")
    raises("INVALID_PARAMETER_VALUE", client.search_runs, [exp_id], "foo.bar = 1")


@check("run.update_run_name")
def _():
    ids = need("sr_ids")
    client.update_run(ids["r-d"], name="r-d2")
    r = client.get_run(ids["r-d"])
    eq(r.info.run_name, "r-d2", "run_name")
    eq(r.data.tags.get("mlflow.runName"), "r-d2", "runName tag follows")
    client.update_run(ids["r-d"], name="r-d")


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
@check("errors.get_run_unknown")
def _():
    e = raises("RESOURCE_DOES_NOT_EXIST", client.get_run, uuid.uuid4().hex)
    STATE["unknown_run_msg"] = e.message


@check("errors.log_to_deleted_run_fails")
def _():
    exp_id = need("exp_id")
    r = client.create_run(exp_id, run_name="to-delete")
    client.delete_run(r.info.run_id)
    raises("INVALID_PARAMETER_VALUE", client.log_param, r.info.run_id, "p", "v")
    raises("INVALID_PARAMETER_VALUE", client.log_metric, r.info.run_id, "m", 1.0)
    raises("INVALID_PARAMETER_VALUE", client.set_tag, r.info.run_id, "t", "v")


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------
@check("model.sklearn_log_and_pyfunc_load")
def _():
    import numpy as np
    import pandas as pd

    try:
        from sklearn.linear_model import LinearRegression
    except ImportError:
        print("  (sklearn not importable: skipping)")
        return
    import mlflow.pyfunc
    import mlflow.sklearn

    exp_id = need("exp_id")
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    y = np.array([1.0, 3.0, 5.0, 7.0])
    lr = LinearRegression().fit(X, y)
    with mlflow.start_run(experiment_id=exp_id, run_name="model-run") as run:
        info = mlflow.sklearn.log_model(lr, "model", input_example=X.head(2))
    run_id = run.info.run_id
    eq(info.run_id, run_id, "model info run_id")
    arts = {a.path for a in client.list_artifacts(run_id, "model")}
    for p in ["model/MLmodel", "model/model.pkl", "model/requirements.txt"]:
        assert p in arts, f"{p} not in {sorted(arts)}"
    hist = client.get_run(run_id).data.tags.get("mlflow.log-model.history")
    assert hist and '"artifact_path": "model"' in hist, f"log-model.history tag {hist!r}"
    m = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    pred = m.predict(pd.DataFrame({"x": [10.0]}))
    assert abs(float(pred[0]) - 21.0) < 1e-6, f"prediction {pred}"


# ----------------------------------------------------------------------------------------------
# Model registry (reference §3)
# ----------------------------------------------------------------------------------------------
REG = f"{PREFIX}-reg"
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402


@check("registry.register_model_from_runs_uri")
def _():
    exp_id = need("exp_id")
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    y = np.array([1.0, 3.0, 5.0, 7.0])
    with mlflow.start_run(experiment_id=exp_id, run_name="registry-run") as run:
        mlflow.sklearn.log_model(LinearRegression().fit(X, y), "model", registered_model_name=REG)
    STATE["reg_run"] = run.info.run_id
    mv = client.get_model_version(REG, "1")
    eq(mv.status, "READY", "status")
    eq(mv.current_stage, "None", "stage")
    eq(mv.run_id, run.info.run_id, "run_id")
    mv2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", REG)
    eq(mv2.version, "2", "second version")
    rm = client.get_registered_model(REG)
    eq([v.version for v in rm.latest_versions], ["2"], "latest_versions")


@check("registry.aliases_and_models_uri_load")
def _():
    need("reg_run")
    client.set_registered_model_alias(REG, "champion", "1")
    eq(client.get_model_version_by_alias(REG, "champion").version, "1", "alias")
    eq(client.get_registered_model(REG).aliases, {"champion": "1"}, "model aliases")
    m = mlflow.pyfunc.load_model(f"models:/{REG}@champion")
    assert abs(float(m.predict(pd.DataFrame({"x": [10.0]}))[0]) - 21.0) < 1e-6
    client.delete_registered_model_alias(REG, "champion")
    raises("INVALID_PARAMETER_VALUE", client.get_model_version_by_alias, REG, "champion")
    raises("INVALID_PARAMETER_VALUE", client.set_registered_model_alias, REG, "v1", "1")


@check("registry.stages_and_latest")
def _():
    need("reg_run")
    client.transition_model_version_stage(REG, "1", "Production")
    client.transition_model_version_stage(REG, "2", "production", archive_existing_versions=True)
    eq(client.get_model_version(REG, "1").current_stage, "Archived", "archived")
    eq([(v.version, v.current_stage) for v in client.get_latest_versions(REG, ["Production"])], [("2", "Production")], "latest prod")
    m = mlflow.pyfunc.load_model(f"models:/{REG}/Production")
    assert m is not None
    raises("INVALID_PARAMETER_VALUE", client.transition_model_version_stage, REG, "1", "Gold")


@check("registry.search_and_tags")
def _():
    need("reg_run")
    client.set_registered_model_tag(REG, "team", "probe")
    client.set_model_version_tag(REG, "1", "quality", "good")
    client.update_registered_model(REG, description="probe model")
    found = client.search_registered_models(filter_string=f"name = '{REG}'")
    eq([m.name for m in found], [REG], "search by name")
    eq(found[0].description, "probe model", "description")
    eq(found[0].tags, {"team": "probe"}, "tags")
    versions = client.search_model_versions(f"name = '{REG}'")
    eq([v.version for v in versions], ["2", "1"], "versions default order")
    eq([v.version for v in client.search_model_versions(f"name = '{REG}' and tag.quality = 'good'")], ["1"], "tag filter")
    page = client.search_registered_models(filter_string=f"name LIKE '{PREFIX}%'", max_results=1)
    eq(len(page), 1, "page size")


@check("registry.rename_delete_version_and_model")
def _():
    need("reg_run")
    renamed = REG + "-renamed"
    client.rename_registered_model(REG, renamed)
    eq(client.get_model_version(renamed, "2").name, renamed, "renamed version")
    client.delete_model_version(renamed, "1")
    raises("RESOURCE_DOES_NOT_EXIST", client.get_model_version, renamed, "1")
    client.create_model_version(renamed, f"runs:/{need('reg_run')}/model", need("reg_run"))
    eq(client.get_model_version(renamed, "3").version, "3", "numbers never reused")
    client.delete_registered_model(renamed)
    raises("RESOURCE_DOES_NOT_EXIST", client.get_registered_model, renamed)


# ----------------------------------------------------------------------------------------------
shutil.rmtree(TMP, ignore_errors=True)
if mlflow.active_run():
    mlflow.end_run()
passed = sum(1 for _, ok, _ in RESULTS if ok)
failed = len(RESULTS) - passed
for name, ok, msg in RESULTS:
    if not ok:
        print(f"  failed: {name}: {msg[:300]}")
print(f"probe ({URI}, prefix {PREFIX}): {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
