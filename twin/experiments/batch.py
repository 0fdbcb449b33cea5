"""Running a sweep: every run once, on Dask workers, streamed to the store.

A run (:class:`~twin.experiments.sweep.RunSpec`) is one design point and one
seed: the baseline and every scenario on the same residents. :func:`execute`
runs it and returns what the store keeps of it: per-group benefit rows of
each scenario (:meth:`Comparison.by_group`, cells under ``k`` residents left
out) and its scalar outcomes (``dimension == "outcome"``). Per-resident
rows are never stored.

Workers are Dask processes: a local cluster (one single-threaded process per
core, numba on one thread each) or an existing cluster (``scheduler=``).
Each worker keeps the compiled city, its accessibility fields and the
compiled kernels in memory between runs (:func:`_prepared_city`), so only
the first run on a worker pays for them.
"""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import os
import pickle
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.errors import ConfigError
from twin.experiments.results_store import ResultsStore, SharedStore, put_run
from twin.experiments.sweep import RunSpec, Sweep

OUTCOMES = {
    "minutes_saved_per_week": "mean minutes saved per resident-week",
    "unmet_trips_avoided_per_week": "mean unmet trips avoided per resident-week",
    "share_of_gains_to_poorest_40pct": "share of the time gains going to the poorest 40% (Q1, Q2)",
    "concentration_index": "concentration index of the minutes saved over income (< 0: pro-poor)",
    "hours_saved_per_year": "hours saved per year, in people of the city (or per 1,000 residents)",
    "people_newly_served": "people newly served, likewise",
    "cost_per_hour_saved": "yearly cost / hours saved per year (NaN: no saving, or no stated population)",
}
"""Scalar who-benefits outcomes stored per run and scenario: one run's point
estimates of what :meth:`Comparison.equity` and :meth:`Comparison.costs`
report over replications (a sweep's spread over seeds is its uncertainty)."""

PARAM_PREFIX = "param:"
"""Prefix of the parameter columns in stored rows."""


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=2)
def _prepared_city(source: str, facility_files: tuple[str, ...], population_grid: str | None):
    """The compiled city and its accessibility fields, once per process."""
    from twin.abm.access import access_fields
    from twin.city import load_city

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kept in city.warnings
        city = load_city(source, facility_files=facility_files, population_grid=population_grid)
    return city, access_fields(city)


@functools.cache
def freeze_at_exit() -> None:
    """Let this process exit without sweeping its heap for cycles.

    At exit Python collects cycles several times over every object: a
    worker or the command line holds ~250,000 after a sweep (numba, pandas,
    scipy, ...), 0.3 s a pass, ~1.5 s in all, which ``twin batch`` and a
    local cluster's close wait for. Frozen objects are not swept (nothing of
    twin's needs a finalizer at exit); the system frees the memory.
    """
    atexit.register(gc.freeze)


def _set_threads() -> None:
    """On a Dask worker, give each of its task threads an equal share of the
    cores for numba (so worker processes x threads never exceed the cores)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    import numba

    share = max(1, _available_cores() // max(1, worker.state.nthreads))
    numba.set_num_threads(min(share, numba.config.NUMBA_NUM_THREADS))


def execute(run: RunSpec) -> pd.DataFrame:
    """Run the baseline and every scenario of ``run`` and summarise them.

    Returns
    -------
    pandas.DataFrame
        Long rows: ``scenario``, ``dimension``, ``group``, ``metric``,
        ``residents``, ``mean``, ``share_of_total``, ``residents_benefiting``
        (group rows of :meth:`Comparison.by_group`, suppressed), then
        ``dimension == "outcome"`` rows of :data:`OUTCOMES` in ``mean``;
        with ``run`` (its key), ``seed`` and one ``param:<label>`` column
        per parameter.
    """
    from twin.abm.access import updated_access
    from twin.abm.workplaces import with_workplaces
    from twin.experiments.compare import (
        POOREST_40PCT,
        Comparison,
        _concat_categorical,
        _ledger,
        _population_rows,
        _run,
        cost_currency,
        simulated_yearly_cost,
        stated_yearly_cost,
    )
    from twin.interventions import apply_interventions
    from twin.outcomes.benefits import paired_benefits
    from twin.outcomes.equity import fractional_rank
    from twin.outcomes.expansion import expansion_for
    from twin.residents import synthesize_for_city
    from twin.residents.model import ResidentModel
    from twin.scenario import scenario_from_mapping, warm_up_for
    from twin.transit.service import world_transit
    from twin.world import TravelParams, World

    _set_threads()
    start = time.perf_counter()
    base = scenario_from_mapping(run.baseline, where="baseline")
    scenarios = [scenario_from_mapping(m, where=f"scenario {m['name']!r}") for m in run.scenarios]
    model = ResidentModel.model_validate(run.resident_model)
    city, access = _prepared_city(base.city, tuple(base.facility_files), base.population_grid)
    people = synthesize_for_city(model, city, base.residents, seed=run.seed)
    expansion = expansion_for(base, city, base.residents)
    world = with_workplaces(World.baseline(city, people, TravelParams.from_model(model),
                                           people_per_resident=expansion.weight,
                                           **world_transit(base.transit, city)), run.seed)

    warm_up = warm_up_for(base.warm_up_days, [base, *scenarios])

    def world_of(scenario):
        return apply_interventions(scenario.interventions, world, seed=run.seed, path=f"scenario '{scenario.name}'")

    def access_of(changed):
        return updated_access(access, city, changed.city)

    base_world = world_of(base)
    before, _, recorded = _run(base_world, seed=run.seed, days=base.days, warm_up_days=warm_up,
                               access=access_of(base_world))
    population = _concat_categorical([_population_rows(before, replication=0)])
    income_rank = fractional_rank(population["income"].to_numpy())  # one sort for every scenario
    poorest = population["income_quintile"].isin(POOREST_40PCT).to_numpy()
    currency, price_year = cost_currency(scenarios)
    group_tables, outcome_rows = [], []
    for scenario in scenarios:  # one scenario's per-resident frames at a time
        changed = world_of(scenario)
        after = _ledger(changed, seed=run.seed, days=base.days, warm_up_days=warm_up, access=access_of(changed),
                        baseline=recorded)
        paired = paired_benefits(before, after)
        paired["essential_travel_min_per_week"] = after["essential_travel_min_per_week"].to_numpy(np.float32)
        used = simulated_yearly_cost(base, scenario, before, after, weight=expansion.weight)
        del after
        comparison = Comparison(
            baseline=base, scenarios=[scenario], replications=1, residents=base.residents,
            days=base.days, seed=run.seed, warm_up_days=warm_up, expansion=expansion, currency=currency,
            price_year=price_year,
            population=population, benefits={scenario.name: paired},
            yearly_cost={scenario.name: stated_yearly_cost(base, scenario)},
            warnings=tuple(city.warnings), wall_time_s=time.perf_counter() - start,
            simulated_cost={} if used is None else {scenario.name: np.array([used])},
        )
        groups = comparison.by_group(k=run.k)
        group_tables.append(groups.drop(columns=[c for c in groups.columns if "ci95" in c]))
        outcome_rows += _outcome_rows(comparison, groups, income_rank=income_rank, poorest=poorest)
        del comparison, paired
    frame = pd.concat([*group_tables, pd.DataFrame(outcome_rows)], ignore_index=True)
    frame["residents"] = frame["residents"].astype(np.float64)
    frame.insert(0, "seed", run.seed)
    frame.insert(0, "run", run.key)
    for label, value in run.values.items():
        frame[PARAM_PREFIX + label] = value
    return frame


def _outcome_rows(comparison, groups: pd.DataFrame, *, income_rank: np.ndarray,
                  poorest: np.ndarray) -> list[dict]:
    """The :data:`OUTCOMES` rows of a one-scenario, one-replication comparison
    (``income_rank``: :func:`~twin.outcomes.equity.fractional_rank` of income)."""
    from twin.experiments.compare import _share
    from twin.outcomes.equity import concentration_index

    (name,) = comparison.benefits
    overall = groups[groups["dimension"] == "all"].set_index("metric")["mean"]
    saved = comparison.benefits[name]["minutes_saved_per_week"].to_numpy()
    hours, served, cost = comparison.costs().loc[0, ["hours_saved_per_year", "people_newly_served",
                                                     "yearly_cost"]]
    values = {
        "minutes_saved_per_week": overall.get("minutes_saved_per_week", np.nan),
        "unmet_trips_avoided_per_week": overall.get("unmet_trips_avoided_per_week", np.nan),
        # As Comparison.equity() gives them, without its other measures (1M-element sorts).
        "share_of_gains_to_poorest_40pct": _share(np.maximum(saved, 0.0), poorest),
        "concentration_index": concentration_index(saved, income_rank, ranked=True),
        "hours_saved_per_year": hours,
        "people_newly_served": served,
        # One run has no CI, so Comparison.costs() gives no ratio: its point estimate.
        "cost_per_hour_saved": cost / hours if hours > 0 and comparison.expansion.stated else np.nan,
    }
    return [{"scenario": name, "dimension": "outcome", "group": "all", "metric": metric,
             "mean": float(value)} for metric, value in values.items()]


@dataclass
class Status:
    """What a store holds of a sweep."""

    total: int
    done: int
    failed: dict[str, dict]

    @property
    def pending(self) -> int:
        return self.total - self.done

    def __str__(self) -> str:
        text = f"{self.done} of {self.total} runs done"
        if self.failed:
            text += f", {len(self.failed)} failed"
        return text + (f", {self.pending - len(self.failed)} not yet run"
                       if self.pending - len(self.failed) else "")


def status(sweep: Sweep, store: ResultsStore) -> Status:
    """Which of the sweep's runs the store holds, and which failed."""
    keys = {run.key for run in sweep.runs}
    failed = {k: v for k, v in store.failed().items() if k in keys}
    return Status(len(keys), len(keys & store.done()), failed)


def default_store(sweep: Sweep) -> Path:
    """``sweeps/<sweep name>``."""
    return Path("sweeps") / sweep.name


def _manifest(sweep: Sweep) -> dict:
    import twin

    return {
        "sweep": sweep.spec.model_dump(mode="json"),
        "file": str(sweep.path),
        "code_version": sweep.code_version,
        "runs": sweep.assignments.to_dict(orient="records"),
        "scenarios": sweep.scenario_names,
        "versions": {"twin": twin.__version__},
    }


@dataclass
class SweepResult:
    """A sweep's results, read back from its store.

    Attributes
    ----------
    sweep
        The sweep.
    store
        Its results store.
    outcomes
        One row per design point, seed and scenario: ``point``, ``seed``,
        ``run``, each parameter and each of :data:`OUTCOMES`.
    groups
        Benefit by group per run (suppressed): the stored group rows.
    failures
        ``run``, ``point``, ``seed``, ``error`` of each failed run.
    sensitivity, robustness
        :mod:`twin.experiments.sensitivity` tables (empty until every run
        is done).
    status
        What the store held of the sweep when these tables were read.
    """

    sweep: Sweep
    store: ResultsStore
    outcomes: pd.DataFrame
    groups: pd.DataFrame
    failures: pd.DataFrame
    sensitivity: pd.DataFrame
    robustness: pd.DataFrame
    status: Status

    def __repr__(self) -> str:
        rows = ", ".join(f"{name} {len(getattr(self, name)):,}"
                         for name in ("outcomes", "groups", "sensitivity", "robustness", "failures"))
        return f"SweepResult({self.sweep.name!r}, store={str(self.store.root)!r}; {self.status}; rows: {rows})"

    def __str__(self) -> str:
        """What ``twin batch`` prints: the headline once every run is done."""
        from twin.experiments.sensitivity import sweep_text

        return sweep_text(self) or f"{self.sweep.name}: {self.status}"


def outcome_table(rows: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Stored rows -> one row per design point, seed and scenario, with each
    parameter and a column per outcome (points that share a run share its row).

    Parameters
    ----------
    rows
        Stored rows of finished runs.
    assignments
        :attr:`Sweep.assignments` (``point``, ``seed``, ``run``).
    """
    if rows.empty:
        return pd.DataFrame()
    params = [c for c in rows.columns if c.startswith(PARAM_PREFIX)]
    scalar = rows[rows["dimension"] == "outcome"]
    table = scalar.pivot(index=["run", "scenario"], columns="metric", values="mean")
    table = table[[m for m in OUTCOMES if m in table.columns]].reset_index()
    table.columns.name = None
    values = rows.groupby("run")[params].first().reset_index()
    table = assignments.merge(values, on="run").merge(table, on="run")
    table = table.rename(columns={c: c.removeprefix(PARAM_PREFIX) for c in params})
    return table.sort_values(["point", "seed", "scenario"], ignore_index=True)


def read_result(sweep: Sweep, store: ResultsStore, *, in_hand: Mapping[str, Any] | None = None) -> SweepResult:
    """The sweep's results as stored, with its sensitivity and robustness
    (``in_hand``: runs in memory as :meth:`ResultsStore.put` returned them)."""
    from twin.experiments.sensitivity import robustness, sensitivity

    rows = store.read([run.key for run in sweep.runs], in_hand=in_hand)
    outcomes = outcome_table(rows, sweep.assignments)
    groups = rows[rows["dimension"] != "outcome"].reset_index(drop=True) if len(rows) else rows
    runs = {run.key: run for run in sweep.runs}
    stored = status(sweep, store)
    failures = pd.DataFrame(
        [{"run": key, "point": runs[key].point, "seed": runs[key].seed, "error": f["error"]}
         for key, f in stored.failed.items()],
        columns=["run", "point", "seed", "error"])
    complete = stored.pending == 0
    return SweepResult(
        sweep, store, outcomes, groups, failures,
        sensitivity(sweep, outcomes) if complete else pd.DataFrame(),
        robustness(groups, outcomes) if len(rows) else pd.DataFrame(),
        stored,
    )


LOCAL_CLUSTER_CONFIG = {
    # No statistical profiler: it samples the running task's stack every
    # 10 ms, holding the GIL, for a dashboard twin does not start.
    "distributed.worker.profile.enabled": False,
    # Dask's housekeeping at its defaults (event-loop ticks every 20 ms,
    # memory every 100 ms, system stats every 500 ms) keeps 8% of a core
    # busy per idle 1-worker cluster, taken from the runs on a small
    # machine; at these intervals 1%. Memory limits are still checked every second.
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536 so that freed
    # memory goes back to the system at once. Setting it also fixes glibc's
    # mmap threshold at 128 KiB, so every array over that (a million
    # residents' column is 4-8 MB) is mapped afresh and its pages faulted in
    # and zeroed again: a run used 20-40% more CPU on a worker than in a
    # plain process. Workers fix twin's thresholds instead (dask_setup,
    # twin.allocator); a run's frames are freed at its end either way.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}
"""Dask settings of the local clusters :func:`run_sweep` starts."""


def connect(scheduler: Any):
    """A Dask client of ``scheduler``: a Client as it is, else one of the
    scheduler at that address (or of that cluster object); a ConfigError
    naming ``--scheduler`` if it cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("Dask is not installed", field="--scheduler", fix="pip install 'twin[batch]'") from None
    if isinstance(scheduler, Client):
        return scheduler
    try:
        return Client(scheduler)
    except (OSError, ValueError) as error:  # refused, timed out, or not an address
        raise ConfigError(f"cannot reach a Dask scheduler at {scheduler} ({error})", field="--scheduler",
                          fix="pass the address the scheduler prints, e.g. tcp://HOST:8786, "
                              "or leave --scheduler out for a local cluster") from None


def _client(workers: int | None, scheduler: Any):
    """A Dask client, and the local cluster it made (None if it joined one)."""
    if isinstance(scheduler, StartingCluster):
        return scheduler.take()
    if scheduler is not None:
        return connect(scheduler), None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("Dask is not installed", field="--workers",
                          fix="pip install 'twin[batch]', or pass --workers 0 to run in this process") from None
    import dask

    n = workers or _available_cores()
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR,
            # One numba thread per single-threaded worker process: n processes on n cores.
            env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
            preload=[__name__],  # dask_setup: each worker imports what a run needs as it starts
        )
    return Client(cluster), cluster


def dask_setup(worker) -> None:
    """Dask's preload hook on local workers: import what :func:`execute` needs
    (~3 s: pandas, scipy, numba, mesa, twin) while the worker starts, so it
    overlaps with the sweep's checks in this process (:class:`StartingCluster`)
    instead of delaying the first run; malloc as in twin's command line
    (:func:`twin.allocator.reuse_freed_memory`)."""
    import tblib.pickling_support  # noqa: F401

    import twin.experiments.compare  # noqa: F401  (it imports the rest of execute's modules)
    from twin.allocator import reuse_freed_memory

    reuse_freed_memory()


class StartingCluster:
    """A local cluster (:func:`_client`) started in a thread of this process.

    ``twin batch`` starts it before checking the sweep: the worker processes
    start and import what runs need (:func:`dask_setup`) on the other cores
    meanwhile. Pass it to :func:`run_sweep` as ``scheduler``: it is taken and
    closed there; :meth:`close` closes it if it never was.
    """

    def __init__(self, workers: int | None) -> None:
        import distributed  # noqa: F401  (here: not imported by two threads at once)

        self._started: tuple | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(workers,), name="twin-cluster-start",
                                        daemon=True)
        self._thread.start()

    def _start(self, workers: int | None) -> None:
        try:
            self._started = _client(workers, None)
        except BaseException as error:  # raised where it is taken
            self._error = error

    def take(self) -> tuple:
        """``(client, cluster)`` once started; closing them is the caller's."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        started, self._started = self._started, None
        return started

    def close(self) -> None:
        """Close the cluster unless :meth:`take` handed it over."""
        self._thread.join()
        if self._started is not None:
            client, cluster = self.take()
            client.close()
            cluster.close()


TASK_TARGET_S = 0.5
"""How long a Dask task aims to take when runs are short: they go to the
workers in groups of about this much work, so Dask's few milliseconds per task
(sending it, starting it, sending its result back) stay under 1% of a run's
time. A run that takes longer than this is a task of its own."""


def _execute_group(runs: list[RunSpec], store: SharedStore | None = None) -> list[tuple[Any, float]]:
    """On a worker: :func:`execute` each of ``runs`` in turn, and store it
    where this worker sees ``store``'s folder.

    Storing runs on the workers spares the sweep's process their encoding
    and writing (48 tiny runs on 2 local workers: its main thread 120 -> 50 ms
    of CPU), so one sweep process keeps up with more workers, which write at
    once; Arrow tables travel back at a fraction of a frame's cost.

    Returns
    -------
    list of (pyarrow.Table or pandas.DataFrame or Exception, float)
        Per run: the table stored (:func:`put_run`), or its frame where this
        worker does not see ``store``, or the exception it raised (a run's
        failure does not stop the others); and its wall time in seconds.
    """
    from tblib import pickling_support  # a dependency of distributed

    freeze_at_exit()  # the cluster's close waits for this worker to exit
    stores_here = store is not None and store.seen_here()
    outcomes = []
    for run in runs:
        start = time.perf_counter()
        try:
            outcome = execute(run)
            if stores_here:
                outcome = put_run(store.root, run.key, outcome)
        except Exception as error:
            # Sent back with the others' frames, with its traceback (for the
            # store's failed/<key>.json): it must survive pickling.
            pickling_support.install(error)
            try:
                outcome = pickle.loads(pickle.dumps(error))
            except Exception:
                import traceback

                outcome = RuntimeError("".join(traceback.format_exception(error)))
        outcomes.append((outcome, time.perf_counter() - start))
    return outcomes


def _group_task(runs: list[RunSpec], store: SharedStore | None = None) -> bytes:
    """What a Dask worker runs: :func:`_execute_group`, its outcomes pickled
    here, on the task's thread (read them with :func:`pickle.loads`).

    Dask sizes a task's result twice (as it stores it and as it sends it) and
    pickles it on the worker's event loop, which shares the GIL with the next
    running task; sizing one run's frame of Arrow strings takes 0.25-0.45 ms.
    Bytes are sized by their length and sent as they are: 48 runs of 2,000
    residents on 1 worker, the event loop's CPU 120-145 -> 45-50 ms a sweep
    (a plain loop as one task: 40 ms).
    """
    return pickle.dumps(_execute_group(runs, store), protocol=pickle.HIGHEST_PROTOCOL)


def _group_sizes(pending: int, slots: int, run_s: float) -> list[int]:
    """Runs per task for ``pending`` runs of about ``run_s`` seconds each, with
    ``slots`` tasks held by the workers at a time (:func:`_task_slots`): at
    most :data:`TASK_TARGET_S` of work per task, and decreasing as Dask's queue
    empties (guided self-scheduling: each task at most ``1/slots`` of what is
    left), so the workers finish together within about one run."""
    most = max(1, int(TASK_TARGET_S / run_s)) if run_s > 0 else 1
    sizes = []
    while pending:
        sizes.append(min(most, -(-pending // slots)))
        pending -= sizes[-1]
    return sizes


def _task_slots(client) -> int:
    """Tasks ``client``'s workers hold at a time: one per thread, and one more
    per worker, which Dask hands a worker in reserve (worker-saturation 1.1,
    rounded up). A worker that frees may already hold its next task, so the
    groups are sized for all of them: sized by threads alone, the last large
    group sat in one worker's reserve while the other idled (48 runs of 40 ms
    on 2 workers ended 133 and 82 ms apart, medians of 8 sweeps; 58 and 52 ms
    sized so)."""
    threads = client.nthreads()  # the cluster may grow meanwhile
    if sum(threads.values()) <= 1:
        return 1  # no other thread to finish with: full groups (a smaller one is another task, ~7 ms)
    return sum(threads.values()) + len(threads)


def _on_workers(client, runs: list[RunSpec], store: SharedStore | None = None) -> Iterator:
    """``(run, outcome)`` as runs finish on ``client``'s workers, which
    store them where they see ``store`` (:func:`_execute_group`).

    Runs are tasks of their own until one run's duration is known (two per
    worker thread at a time, so none waits for this process between two
    runs); then the rest are submitted at once, grouped by
    :func:`_group_sizes`. A group that fails as a whole (its worker died
    again and again) is submitted again one run per task, so only a run that
    kills its worker fails.
    """
    from distributed import as_completed, wait

    todo = list(runs)
    tasks: dict = {}  # future -> its runs
    run_s = 0.0  # the longest run so far

    def submit(group: list[RunSpec]):
        # A key of its own per submission: a key that Dask has just released
        # (the same runs sent again, as by a repeated sweep into another
        # store) waits for the scheduler to forget it, 50-80 ms a task.
        key = (f"twin-run-{group[0].key}" + (f"-and-{len(group) - 1}" if len(group) > 1 else "")
               + f"-{uuid.uuid4().hex[:8]}")
        future = client.submit(_group_task, group, store, key=key, pure=False)
        tasks[future] = group
        return future

    def finished(future, again: list, sent: Any = None) -> Iterator:
        """Its runs' outcomes; the runs of a group that failed whole go to
        ``again``. ``sent``: what ``as_completed(with_results=True)`` gave
        of it, else it is fetched."""
        nonlocal run_s
        group = tasks.pop(future)
        try:
            if sent is None:
                sent = future.result()
            elif future.status != "finished":  # (type, error, traceback), or the CancelledError
                raise sent[1].with_traceback(sent[2]) if isinstance(sent, tuple) else sent
            outcomes = pickle.loads(sent)
        except Exception as error:  # the task itself failed (KilledWorker, say)
            outcomes = [(error, 0.0)] if len(group) == 1 else []
            again += [] if outcomes else group
        future.release()  # results go to disk, not into this process's memory
        for run, (outcome, seconds) in zip(group, outcomes):
            if not isinstance(outcome, BaseException):
                run_s = max(run_s, seconds)
            yield run, outcome

    again: list[RunSpec] = []
    while (todo or again) and not run_s:  # one run per task until a run has finished
        todo[:0], again = again, []
        threads = max(1, sum(client.nthreads().values()))  # the cluster may grow meanwhile
        while todo and len(tasks) < 2 * threads:
            submit([todo.pop(0)])
        try:
            done = wait(list(tasks), timeout=1.0, return_when="FIRST_COMPLETED").done
        except TimeoutError:
            continue
        for future in done:
            yield from finished(future, again)
    todo[:0], again = again, []
    for size in _group_sizes(len(todo), _task_slots(client), run_s):
        submit(todo[:size])
        del todo[:size]
    # Results fetched by Dask's event loop as tasks finish, not by a call from
    # this thread to it and back per task: 48 runs of 2,000 residents on 2
    # workers, sweeps 1.6% and 2.3% faster (paired medians of 12, 2026-12-03).
    queue = as_completed(list(tasks), with_results=True, raise_errors=False)
    for future, sent in queue:
        yield from finished(future, again, sent)
        for run in again:
            queue.add(submit([run]))
        again.clear()


def _check_workers(client, here: str) -> None:
    """Refuse a cluster whose workers run other twin code than ``here``
    (:func:`twin.experiments.sweep.code_version`, hashed into the runs'
    keys): their runs would be stored as this code's (and a worker that
    cannot read this code's tasks hangs the sweep)."""
    from twin.experiments.sweep import code_version

    try:
        theirs = client.run(code_version)
    except Exception as error:  # a worker without twin, or one too old to have code_version
        raise ConfigError(f"the Dask workers cannot run twin's code ({type(error).__name__}: {error})",
                          field="--scheduler", fix=f"install twin {here} on every worker") from None
    other = sorted({version for version in theirs.values() if version != here})
    if other:
        count = sum(version != here for version in theirs.values())
        raise ConfigError(f"{count} of {len(theirs)} Dask workers run other twin code ({', '.join(other)}; "
                          f"this process: {here})", field="--scheduler",
                          fix="install the same twin on every worker: the same release or checkout")


def _results(runs: list[RunSpec], *, workers: int | None, scheduler: Any,
             store: SharedStore | None = None, version: str | None = None) -> Iterator:
    """``(run, outcome)`` as runs finish: its frame, or its exception, or the
    table stored where Dask's workers see ``store``; Dask's workers must run
    the code ``version`` (default: this process's)."""
    if workers == 0 and scheduler is None:
        for run in runs:
            try:
                yield run, execute(run)
            except Exception as error:  # recorded per run; the sweep goes on
                yield run, error
        return
    from distributed import Client

    client, cluster = _client(workers, scheduler)
    try:
        if version is None:
            from twin.experiments.sweep import code_version

            version = code_version()
        _check_workers(client, version)
        yield from _on_workers(client, runs, store)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
        elif not isinstance(scheduler, Client):
            client.close()


def run_sweep(
    sweep: Sweep,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
) -> SweepResult:
    """Run every run of ``sweep`` not yet in the store, then analyse it.

    Parameters
    ----------
    sweep
        A checked sweep (:func:`twin.experiments.sweep.load_sweep`).
    out
        The results store (default :func:`default_store`).
    workers
        Local worker processes (default: one per core); 0 runs in this
        process without Dask.
    scheduler
        An existing cluster's address or ``distributed.Client``, or a
        :class:`StartingCluster` (closed at the end, as a local cluster).
    progress
        Progress bar with ETA on stderr: True, False, or None (on a terminal).

    Returns
    -------
    SweepResult
        Read back from the store; a run that raised is in ``failures`` (and
        is tried again by the next call), the others are not stopped by it.
    """
    from tqdm import tqdm

    from twin.experiments.sensitivity import write_analysis

    store = ResultsStore(out if out is not None else default_store(sweep))
    store.write_manifest(_manifest(sweep), sweep.design)
    done = store.done()
    pending = [run for run in sweep.runs if run.key not in done]
    written = {}  # key -> the run's table as stored, analysed without reading it back
    with tqdm(total=len(sweep.runs), initial=len(sweep.runs) - len(pending), unit="run",
              desc=sweep.name, file=sys.stderr, smoothing=0.1,
              disable=None if progress is None else not progress) as bar, store.shared() as shared:
        for run, outcome in _results(pending, workers=workers, scheduler=scheduler, store=shared,
                                     version=sweep.code_version):
            if isinstance(outcome, BaseException):
                store.fail(run.key, outcome, point=run.point, seed=run.seed, values=run.values)
                bar.set_postfix_str(f"{len(store.failed())} failed")
            elif isinstance(outcome, pd.DataFrame):  # run here, or by a worker without the store's folder
                written[run.key] = store.put(run.key, outcome)
            else:  # stored by its worker
                written[run.key] = outcome
            bar.update(1)
    result = read_result(sweep, store, in_hand=written)
    write_analysis(result)
    return result
