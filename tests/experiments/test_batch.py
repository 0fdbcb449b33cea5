"""`twin batch` on real Dask workers: the same results as one process,
whatever the number of workers; nothing lost or run twice when the batch
process or a worker is killed; failures recorded without stopping the rest;
sensitivity and robustness from the finished store."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sweeps import sweep_file

from twin.experiments.batch import _client, run_sweep
from twin.experiments.results_store import ResultsStore
from twin.experiments.sweep import load_sweep

from cli_runner import assert_user_error, twin

REPO = Path(__file__).resolve().parents[2]


def numba_threads() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS


def cities_loaded() -> int:
    from twin.experiments.batch import _prepared_city

    return _prepared_city.cache_info().misses


def freezes_at_exit() -> bool:
    from twin.experiments.batch import freeze_at_exit

    return freeze_at_exit.cache_info().currsize == 1


def reuses_freed_memory() -> bool:
    from twin.allocator import reuse_freed_memory

    return reuse_freed_memory.cache_info().currsize == 1


def stored(store: Path) -> pd.DataFrame:
    """Every stored row, in a fixed order."""
    rows = ResultsStore(store).read()
    return rows.sort_values(["run", "scenario", "dimension", "group", "metric"], ignore_index=True)


@pytest.fixture(scope="module")
def sweep_path(tmp_path_factory):
    return sweep_file(tmp_path_factory.mktemp("sweep"), seeds=3)  # 4 points x 3 seeds


@pytest.fixture(scope="module")
def reference(sweep_path, tmp_path_factory):
    """The sweep run in this process, without Dask."""
    out = tmp_path_factory.mktemp("reference")
    result = run_sweep(load_sweep(sweep_path), out=out, workers=0)
    assert result.status.done == 12 and not result.status.failed
    return out, result


@pytest.fixture(scope="module")
def client():
    """A real local cluster: 2 worker processes, as twin batch starts it."""
    client, cluster = _client(2, None)
    yield client
    client.close()
    cluster.close()


def test_two_worker_processes_give_the_in_process_results(sweep_path, reference, client, tmp_path):
    result = run_sweep(load_sweep(sweep_path), out=tmp_path / "dask", scheduler=client)
    assert result.status.done == 12
    assert len(client.scheduler_info()["workers"]) == 2
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # separate processes
    # One numba thread per single-threaded worker; the city loaded once per worker.
    assert set(client.run(numba_threads).values()) == {1}
    assert set(client.run(cities_loaded).values()) == {1}
    assert set(client.run(freezes_at_exit).values()) == {True}  # the cluster's close waits for none
    # twin's malloc thresholds, as on the command line: Dask's MALLOC_TRIM_THRESHOLD_
    # would have every million-resident array mapped and zeroed afresh.
    assert set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
    assert set(client.run(reuses_freed_memory).values()) == {True}
    pd.testing.assert_frame_equal(stored(tmp_path / "dask"), stored(reference[0]))


def test_a_cluster_started_as_the_readme_says(sweep_path, reference, tmp_path):
    """``dask scheduler``, ``dask worker ADDRESS --nthreads 1 --preload
    twin.experiments.batch`` and ``twin batch SWEEP --scheduler ADDRESS``,
    as README says for a cluster of one's own: the worker has set itself up
    as it started, and the runs are those of one process."""
    import socket

    from distributed import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    paths = [REPO, REPO / "tests", REPO / "tests" / "experiments"]  # twin, and this module's helpers for client.run
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    dask = [sys.executable, "-m", "dask"]
    processes = [subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
                 for command in ([*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard"],
                                 [*dask, "worker", address, "--nthreads", "1", "--preload", "twin.experiments.batch",
                                  "--no-dashboard"])]
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
            assert set(client.run(reuses_freed_memory).values()) == {True}  # the preload, before any task
        finished = twin("batch", sweep_path, "--out", tmp_path / "store", "--scheduler", address)
        assert finished.exit_code == 0, finished.output
        assert "12 of 12 runs done" in finished.stdout
        pd.testing.assert_frame_equal(stored(tmp_path / "store"), stored(reference[0]))
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_workers_running_other_twin_code_are_refused(client):
    """Runs are stored under keys that hash twin's code: a cluster whose
    workers run other code is refused before any run, in one line."""
    from twin.errors import ConfigError
    from twin.experiments.batch import _check_workers
    from twin.experiments.sweep import code_version

    _check_workers(client, code_version())  # the same code: accepted
    expected = f"--scheduler: 2 of 2 Dask workers run other twin code ({code_version()}; this process: 0.0.0+other)"
    with pytest.raises(ConfigError, match=re.escape(expected)) as error:
        _check_workers(client, "0.0.0+other")
    assert "install the same twin on every worker" in str(error.value)


def test_a_cluster_started_while_the_sweep_is_checked(sweep_path, reference, tmp_path, monkeypatch):
    """twin batch starts its local cluster in a thread before checking the
    sweep (StartingCluster): its workers import what runs need as they start,
    set twin's malloc thresholds, give the in-process results, and the cluster is
    closed whether run_sweep took it or not."""
    from distributed.core import Status

    from twin.experiments import batch

    started = []

    def spy(workers, scheduler):
        client, cluster = real(workers, scheduler)
        if cluster is not None and scheduler is None:  # in the starting thread, before any task
            started.append((cluster, set(client.run(lambda: "twin.experiments.compare" in sys.modules).values()),
                            set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()),
                            set(client.run(reuses_freed_memory).values())))
        return client, cluster

    real = batch._client
    monkeypatch.setattr(batch, "_client", spy)
    starting = batch.StartingCluster(2)
    result = run_sweep(load_sweep(sweep_path), out=tmp_path / "dask", scheduler=starting)
    starting.close()  # taken: nothing left to close
    assert result.status.done == 12
    pd.testing.assert_frame_equal(stored(tmp_path / "dask"), stored(reference[0]))
    unused = batch.StartingCluster(1)  # the sweep failed its checks, say
    unused.close()
    assert [facts for _, *facts in started] == [[{True}, {None}, {True}]] * 2
    assert all(cluster.status == Status.closed for cluster, *_ in started)


def test_a_worker_killed_mid_task_is_retried(tmp_path, client):
    path = sweep_file(tmp_path, seeds=2, residents=4000, name="heavier")
    expected = run_sweep(load_sweep(path), out=tmp_path / "expected", workers=0)
    killed = []

    def kill_a_busy_worker():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy and len(list((tmp_path / "dask" / "runs").glob("*.parquet"))) >= 1:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.02)

    thread = threading.Thread(target=kill_a_busy_worker)
    thread.start()
    result = run_sweep(load_sweep(path), out=tmp_path / "dask", scheduler=client)
    thread.join()
    assert killed, "no worker was busy to kill"
    assert result.status.done == len(result.sweep.runs) and not result.status.failed
    assert killed[0] not in set(client.run(os.getpid).values())  # a new worker took over
    pd.testing.assert_frame_equal(stored(tmp_path / "dask"), stored(tmp_path / "expected"))
    assert expected.status.done == result.status.done


def test_killed_batch_resumes_without_running_a_run_twice(sweep_path, reference, tmp_path):
    out = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "twin", "batch", str(sweep_path), "--out", str(out)]
    process = subprocess.Popen([*command, "--workers", "1"], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not list((out / "runs").glob("*.parquet")):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the batch process, its cluster and worker
    process.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert 1 <= len(before) < 12, "the kill should land mid-sweep"
    status = twin("batch", sweep_path, "--out", out, "--status")
    assert f"{len(before)} of 12 runs done" in status.stdout, status.output
    finished = twin("batch", sweep_path, "--out", out, "--workers", "2")
    assert finished.exit_code == 0, finished.output
    assert "12 of 12 runs done" in finished.stdout
    assert "What moves each outcome most" in finished.stdout  # the sweep's headline, once all runs are done
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert len(after) == 12 and not list((out / "runs").glob(".*"))  # no partial file
    assert all(after[name] == mtime for name, mtime in before.items())  # none run again
    pd.testing.assert_frame_equal(stored(out), stored(reference[0]))


def test_ctrl_c_stops_a_batch_that_says_how_to_resume(tmp_path):
    """SIGINT mid-sweep (Ctrl-C): exit 130, a line saying how many runs are
    stored and that the same command resumes, no traceback, no partial file."""
    out = tmp_path / "store"
    process = subprocess.Popen(
        [sys.executable, "-m", "twin", "batch", str(sweep_file(tmp_path, seeds=3, residents=5000)),
         "--out", str(out), "--workers", "0"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background shell ignores SIGINT
    deadline = time.time() + 240
    while time.time() < deadline and not list((out / "runs").glob("*.parquet")):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    done = len(list((out / "runs").glob("*.parquet")))
    assert process.returncode == 130, stderr
    assert 1 <= done < 12 and not list((out / "runs").glob(".*"))
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (f"tiny: stopped, {done} of 12 runs done, {12 - done} not yet run; "
                                               f"run the same command again to resume")


def test_an_unreachable_scheduler_is_one_line_naming_it(sweep_path, tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert_user_error(twin("batch", sweep_path, "--out", tmp_path / "store", "--scheduler", "tcp://127.0.0.1:9"),
                          "--scheduler", "tcp://127.0.0.1:9", "cannot reach")
        assert_user_error(twin("batch", sweep_path, "--out", tmp_path / "store", "--scheduler", "nonsense"),
                          "--scheduler", "nonsense")


def test_a_process_freezing_at_exit_skips_the_sweep_of_its_heap():
    """freeze_at_exit: every object is frozen before the interpreter's final
    collections (atexit runs handlers last registered first)."""
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print(gc.get_freeze_count() > 0, gc.collect() == 0))\n"
            "from twin.experiments.batch import freeze_at_exit\n"
            "freeze_at_exit()\n"
            "freeze_at_exit()\n"  # registered once
            "a = []; a.append(a)\n")  # a cycle, frozen with the rest
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.split() == ["True", "True"]


def test_sensitivity_and_robustness_of_the_finished_sweep(reference):
    out, result = reference
    table = result.sensitivity
    parking = table[(table["scenario"] == "parking_app") & (table["outcome"] == "minutes_saved_per_week")]
    by_parameter = parking.set_index("parameter")["S1"]
    # Parking-app uptake drives the app's time saving; smartphones over 75 hardly do.
    assert by_parameter["adoption"] > 0.5 > by_parameter["smartphone_75"]
    robust = result.robustness
    assert ((robust["p_better"] + robust["p_worse"]) <= 1).all() and (robust["runs"] <= 12).all()
    poorest = robust.query("dimension == 'income_quintile' and group == 'Q1' and "
                           "metric == 'minutes_saved_per_week' and scenario == 'parking_app' "
                           "and other == 'baseline'")
    assert len(poorest) == 1
    for name in ("sensitivity.csv", "robustness.csv", "outcomes.csv", "sensitivity.png"):
        assert (out / "analysis" / name).stat().st_size > 0
    for name in ("outcomes", "groups", "sensitivity", "robustness"):  # the CSVs hold the very numbers
        written = pd.read_csv(out / "analysis" / f"{name}.csv")
        pd.testing.assert_frame_equal(written, getattr(result, name), check_dtype=False, obj=name)
    assert len(result.outcomes) == 12 * 2  # points x seeds x scenarios


def test_a_finished_sweep_says_what_moves_each_outcome_and_how_often_each_scenario_wins(reference):
    """What twin batch prints: per scenario and plotted outcome, the
    parameter with the largest index in sensitivity.csv and the next; per
    scenario, the shares of runs in robustness.csv in which everyone and the
    poorest fifth gain more / less than under the baseline."""
    from twin.experiments.sensitivity import NO_PARAMETER, UNDEFINED, sweep_text

    _, result = reference
    point_means = result.outcomes.groupby(["scenario", "point"]).mean(numeric_only=True)
    assert str(result) == sweep_text(result)  # print(result) in a notebook
    assert re.fullmatch(r"SweepResult\('tiny', store='.*'; 12 of 12 runs done; rows: outcomes 24, groups [\d,]+, "
                        r"sensitivity 28, robustness \d+, failures 0\)", repr(result)), repr(result)
    drivers, wins = ([line.split() for line in part.splitlines()] for part in sweep_text(result).split("\n\n"))
    shown = 0
    for (scenario, outcome), found in result.sensitivity.groupby(["scenario", "outcome"]):
        row = [line for line in drivers if line[:2] == [scenario, outcome]]
        if outcome not in ("minutes_saved_per_week", "share_of_gains_to_poorest_40pct", "cost_per_hour_saved"):
            assert not row
            continue
        (row,) = row
        ranked = found.sort_values("S1", ascending=False, na_position="last")  # grid: main effects, no interval
        if ranked["S1"].isna().all():  # the seeds' mean is undefined at a point, or the same at every point
            means = point_means.loc[scenario, outcome]
            assert " ".join(row[2:]).startswith(UNDEFINED if means.isna().any() else NO_PARAMETER), row
            assert means.isna().any() or means.nunique() == 1
            continue
        assert row[2:6] == [ranked["parameter"].iloc[0], f"{ranked['S1'].iloc[0]:.2f}",
                            ranked["parameter"].iloc[1], f"{ranked['S1'].iloc[1]:.2f}"]
        shown += 1
    assert shown >= 2  # the app's time saving and its cost per hour vary with its adoption
    versus = result.robustness.query("other == 'baseline'")
    for row in versus.query("dimension == 'all'").itertuples():
        poorest = versus.query(f"dimension == 'income_quintile' and group == 'Q1' and "
                               f"scenario == '{row.scenario}' and metric == '{row.metric}'").iloc[0]
        assert [row.scenario, row.metric,
                f"{row.p_better:.0%}", "/", f"{row.p_worse:.0%}", "of", str(row.runs),
                f"{poorest.p_better:.0%}", "/", f"{poorest.p_worse:.0%}", "of", str(poorest.runs)] in wins


def test_a_sweep_analyses_its_runs_as_they_read_back_from_the_store(sweep_path, reference):
    """run_sweep analyses the runs it has just written without reading them
    back: the same result as reading the store afresh."""
    from twin.experiments.batch import read_result

    out, result = reference
    again = read_result(load_sweep(sweep_path), ResultsStore(out))
    for table in ("outcomes", "groups", "sensitivity", "robustness", "failures"):
        pd.testing.assert_frame_equal(getattr(result, table), getattr(again, table), obj=table)


def test_workers_store_runs_where_they_see_the_store_and_send_them_back_where_not(sweep_path, reference, tmp_path):
    """A worker that sees the sweep's marker file writes each run's file
    itself and sends the table back; one that does not (a cluster without a
    shared disk) sends the frame, for the sweep's process to store: the same
    rows either way."""
    import pickle

    import pyarrow as pa

    from twin.experiments.batch import _execute_group, _group_task
    from twin.experiments.results_store import SharedStore

    runs = list(load_sweep(sweep_path).runs)[:2]
    keys = [run.key for run in runs]
    store = ResultsStore(tmp_path / "store")
    with store.shared() as shared:
        assert shared.seen_here()
        written = _execute_group(runs, shared)
    assert not shared.seen_here() and not list(store.root.glob(".*"))  # the marker goes with the sweep
    assert all(isinstance(table, pa.Table) for table, _ in written)
    assert store.done() == set(keys)
    elsewhere = SharedStore(str(tmp_path / "remote"), str(tmp_path / "remote" / ".sweep-running-0"))
    sent = pickle.loads(_group_task(runs, elsewhere))  # as Dask's task sends them
    assert all(isinstance(frame, pd.DataFrame) for frame, _ in sent)
    assert not (tmp_path / "remote").exists()
    other = ResultsStore(tmp_path / "other")
    for run, (frame, _) in zip(runs, sent):
        other.put(run.key, frame)
    expected = ResultsStore(reference[0]).read(keys)
    pd.testing.assert_frame_equal(store.read(), expected)
    pd.testing.assert_frame_equal(other.read(), expected)
    pd.testing.assert_frame_equal(store.read(keys, in_hand=dict(zip(keys, (t for t, _ in written)))), expected)


def test_a_failing_run_is_recorded_and_the_rest_finish(tmp_path):
    bad_grid = tmp_path / "grid.csv"
    bad_grid.write_text("lon,lat,population\n")  # fails when the city is built, in the run
    parameters = "  - path: interventions[parking_app].adoption.value\n    values: [0.2, 0.8]\n"
    path = sweep_file(tmp_path, seeds=1, parameters=parameters)
    text = path.read_text().replace("design:", f"fixed: {{population_grid: {bad_grid}}}\ndesign:")
    path.write_text(text)
    result = twin("batch", path, "--out", tmp_path / "store", "--workers", "0")
    assert result.exit_code == 1
    assert "0 of 2 runs done, 2 failed" in result.stdout and "failed run" in result.stdout
    assert len(list((tmp_path / "store" / "failed").glob("*.json"))) == 2


def test_a_run_stores_what_twin_compare_reports_for_the_same_seed(tmp_path):
    from sweeps import HELSINKI

    from twin.experiments.batch import execute
    from twin.experiments.compare import compare
    from twin.scenario import load_scenario

    path = sweep_file(tmp_path, seeds=1, parameters="  []\n")
    (run,) = load_sweep(path).runs
    stored_rows = execute(run)
    comparison = compare(load_scenario(HELSINKI / "baseline.yaml"),
                         [load_scenario(HELSINKI / n) for n in ("parking_app.yaml", "access_centres.yaml")],
                         replications=1, residents=500, days=1, seed=run.seed, progress=False)
    groups = comparison.by_group(k=10)
    shown = stored_rows[stored_rows["dimension"] != "outcome"]
    pd.testing.assert_frame_equal(
        shown[["scenario", "dimension", "group", "metric", "mean"]].reset_index(drop=True),
        groups[["scenario", "dimension", "group", "metric", "mean"]].reset_index(drop=True))
    # One run has no confidence interval: none is stored (compare's are all NaN for one replication).
    intervals = [c for c in groups.columns if "ci95" in c]
    assert len(intervals) >= 4 and groups[intervals].isna().all().all()
    assert not [c for c in stored_rows.columns if "ci95" in c]
    outcome = stored_rows[stored_rows["dimension"] == "outcome"].set_index(["scenario", "metric"])["mean"]
    equity = comparison.equity().query("of == 'minutes_saved_per_week'").set_index(["scenario", "measure"])
    costs = comparison.costs().set_index("scenario")
    for name in ("parking_app", "access_centres"):
        for measure in ("share_of_gains_to_poorest_40pct", "concentration_index"):
            assert outcome[(name, measure)] == pytest.approx(equity.at[(name, measure), "mean"], nan_ok=True)
        hours = costs.at[name, "hours_saved_per_year"]
        assert outcome[(name, "hours_saved_per_year")] == pytest.approx(hours)
        per_hour = costs.at[name, "yearly_cost"] / hours if hours > 0 else float("nan")  # no saving: no ratio
        assert outcome[(name, "cost_per_hour_saved")] == pytest.approx(per_hour, nan_ok=True)


def test_group_sizes_keep_tasks_short_and_end_together():
    from twin.experiments.batch import TASK_TARGET_S, _group_sizes

    sizes = _group_sizes(100, 2, TASK_TARGET_S / 20)
    assert sum(sizes) == 100 and max(sizes) == 20  # 20 runs of 1/20 the target
    assert sizes == sorted(sizes, reverse=True) and sizes[-2:] == [1, 1]  # the last tasks are single runs
    assert _group_sizes(10, 1, TASK_TARGET_S / 20) == [10]
    assert _group_sizes(7, 2, TASK_TARGET_S / 20) == [4, 2, 1]  # at most half of what is left
    assert _group_sizes(5, 4, 3 * TASK_TARGET_S) == [1] * 5  # a long run is a task of its own


@pytest.mark.parametrize(("workers", "threads", "slots"), [(1, 1, 1), (1, 2, 3), (2, 1, 4)])
def test_groups_are_sized_for_the_tasks_the_workers_hold(workers, threads, slots):
    """One per thread and one in reserve per worker; a lone thread has none
    to finish with, so it gets full groups (fewer tasks)."""
    from distributed import Client, LocalCluster

    from twin.experiments.batch import _task_slots

    with LocalCluster(n_workers=workers, threads_per_worker=threads, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert _task_slots(client) == slots


class FakeRun:
    def __init__(self, key: str) -> None:
        self.key = key


class RunFailed(ValueError):
    """An error class of twin's own (defined after distributed's tblib install)."""


def fake_execute(run):
    time.sleep(0.005)
    if run.key == "bad":
        raise RunFailed(run.key)
    return run.key


def fake_group(runs, store=None):
    """:func:`_execute_group` of :func:`fake_execute`; a group with the run
    ``poison`` fails whole, as when the run kills its worker."""
    if len(runs) > 1 and any(run.key == "poison" for run in runs):
        raise OSError("the worker died")
    if [run.key for run in runs] == ["poison"]:
        raise OSError("the worker died again")
    return [(fake_execute(run), 0.005) for run in runs]


def test_a_group_of_runs_returns_each_ones_frame_or_error(monkeypatch):
    from twin.experiments import batch

    monkeypatch.setattr(batch, "execute", fake_execute)
    (first, first_s), (second, second_s) = batch._execute_group([FakeRun("run0"), FakeRun("bad")])
    assert first == "run0" and isinstance(second, ValueError) and first_s > 0 and second_s > 0
    # What the worker sends back keeps where the run failed, for failed/<key>.json.
    import pickle
    import traceback

    sent = pickle.loads(pickle.dumps(second))
    assert "in fake_execute" in "".join(traceback.format_exception(sent))


def test_short_runs_go_in_groups_and_a_failure_stays_with_its_run(monkeypatch):
    """Runs in one task each until one has finished, then in groups; a run
    that raises is reported alone, and a group whose task fails whole (its
    worker died, say) is run again one run per task."""
    from distributed import Client, LocalCluster

    from twin.experiments import batch

    monkeypatch.setattr(batch, "_execute_group", fake_group)  # the workers are threads of this process
    runs = [FakeRun(f"run{i}") for i in range(30)]
    runs[4:4] = [FakeRun("poison"), FakeRun("bad")]  # in the first group
    groups = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        submit = client.submit

        def spy(function, group, *args, **kwargs):
            groups.append([run.key for run in group])
            return submit(function, group, *args, **kwargs)

        monkeypatch.setattr(client, "submit", spy)
        outcomes = list(batch._on_workers(client, runs))
    got = {run.key: outcome for run, outcome in outcomes}
    assert len(outcomes) == len(got) == 32  # every run once
    assert all(got[f"run{i}"] == f"run{i}" for i in range(30))
    assert isinstance(got["bad"], ValueError) and str(got["poison"]) == "the worker died again"
    assert [len(g) for g in groups[:4]] == [1] * 4  # two per worker thread until one has finished
    poisoned = next(g for g in groups if "poison" in g and len(g) > 1)
    assert all([key] in groups for key in poisoned)  # each of its runs again on its own
    assert len(groups) - len(poisoned) == 14  # 32 runs: 4 single-run tasks, then 10 groups (7, 6, 4, ..., 1)
    # Sized for 4 slots (2 threads, and a task in reserve on each worker): at
    # most a quarter of the 28 runs left after the first four.
    assert max(len(g) for g in groups) == 7
