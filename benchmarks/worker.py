"""Measurements that need a fresh process, run by the suite as
``python benchmarks/worker.py COMMAND 'JSON ARGS'``; prints one JSON line.

Commands
--------
week
    A full run as ``twin run`` does it (:func:`twin.experiments.run.run_scenario`
    then :func:`write_run` into a temporary folder): load the city (cached),
    synthesize residents, accessibility, D simulated days, per-resident
    ledger. Reports stage times and the process's peak RSS.
reload
    ``import twin.city`` and ``load_city(source)`` from twin's disk cache.
compile
    Import twin's kernels, then run every scenario in ``scenarios/`` on a
    small population for one day and call the routing functions, which
    compiles (or loads from numba's cache) every kernel the workflows use.
    Reports which numba functions of ``twin.core`` were compiled or loaded.
mesa
    N plain Mesa agents with a trivial step (``self.x += 1``) against the same
    update over a numpy array in a numba kernel, in this one process.
cache-dir
    Where numba will cache twin's kernels when ``NUMBA_CACHE_DIR`` is unset.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402


def peak_rss_bytes() -> int:
    """This process's peak RSS: ``VmHWM`` of /proc/self/status. Not
    ``getrusage``'s ``ru_maxrss``: on Linux that survives ``exec`` and so
    starts at the parent's RSS when the parent forked this process."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def model_memory(args) -> dict:
    """Memory allocated, per resident, to build twin's CityModel and then the
    per-agent Mesa reference over the same residents and accessibility
    (tracemalloc, which sees Python objects and numpy arrays alike, touched
    or not; RSS would miss zeroed arrays not yet written)."""
    import gc
    import tracemalloc

    from twin.abm import CityModel
    from twin.abm.access import access_fields
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from twin.city import load_city
    from twin.residents import load_resident_model, synthesize_for_city
    from twin.world import TravelParams, World

    from reference_model import ReferenceCityModel

    n = args["residents"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        city = city_from(args) or load_city(args["source"])
    spec = load_resident_model(args["model"])
    world = World.baseline(city, synthesize_for_city(spec, city, n, seed=1), TravelParams.from_model(spec))
    access = access_fields(city, water_points_considered=world.travel.water_points_considered,
                           destinations_considered=world.travel.destinations_considered)
    grown = []
    tracemalloc.start()
    for build in (lambda: CityModel(world, seed=1, agents="none", access=access),
                  lambda: ReferenceCityModel(world, seed=1, access=access)):
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        model = build()
        gc.collect()
        grown.append((tracemalloc.get_traced_memory()[0] - before) / n)
        del model
    tracemalloc.stop()
    return {"twin_bytes_per_resident": grown[0], "reference_bytes_per_resident": grown[1]}


def city_from(args):
    if "synthetic_nodes" in args:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from harness import synthetic_city

        return synthetic_city(args["synthetic_nodes"])
    return None  # run_scenario loads scenario.city itself


def week(args) -> dict:
    import numba

    from twin.experiments.run import run_scenario, write_run
    from twin.scenario import Scenario

    numba.set_num_threads(min(args.get("threads", 2), numba.config.NUMBA_NUM_THREADS))
    imported = time.perf_counter()
    scenario = Scenario(name="bench-week", city=args.get("source", "helsinki"), resident_model=args["model"],
                        residents=args["residents"], days=args["days"], seed=1)
    city = city_from(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = run_scenario(scenario, city=city)
    ran = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_run(result, Path(tmp) / "run")
    written = time.perf_counter()
    compiled = sum(sum(d.stats.cache_misses.values()) for d in core_dispatchers().values())
    return {
        "compiled_kernels": compiled,
        "import_s": imported - START,
        "stages": result.summary["timings"],
        "run_s": ran - imported,
        "write_s": written - ran,
        "total_s": written - START,
        "peak_rss_bytes": peak_rss_bytes(),
        "ledger_rows": len(result.ledger),
    }


def reload(args) -> dict:
    from twin.city import load_city

    imported = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        city = load_city(args["source"])
    loaded = time.perf_counter()
    return {"import_s": imported - START, "load_s": loaded - imported,
            "nodes": {m: s.n_nodes for m, s in city.streets.items()}}


def core_dispatchers() -> dict:
    """Every numba function defined in a ``twin.core`` module."""
    import importlib
    import pkgutil

    from numba.core.dispatcher import Dispatcher

    import twin.core

    found = {}
    for info in pkgutil.iter_modules(twin.core.__path__):
        module = importlib.import_module(f"twin.core.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == module.__name__:
                found[f"{info.name}.{name}"] = obj
    return found


def compile_all(args) -> dict:
    import numba
    import numpy as np

    import twin  # sets NUMBA_CACHE_DIR unless set
    from twin.core.routing import nearest_facility, nearest_facility_many

    dispatchers = core_dispatchers()
    imported = time.perf_counter()

    from twin.experiments.run import run_scenario
    from twin.experiments.sweep import is_sweep_file
    from twin.scenario import load_scenario

    libraries = time.perf_counter()
    graph = (np.array([0, 1, 2, 2]), np.array([1, 2]), np.array([1.0, 2.0]))
    nearest_facility(*graph, np.array([0]))
    nearest_facility_many(*graph, [np.array([0]), np.array([], dtype=np.int32)])
    ran, failed = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        paths = [p for p in sorted(Path(args["scenarios"]).rglob(args.get("glob", "*.yaml")))
                 if not is_sweep_file(p)]
        for path in paths:
            try:
                # one day, no warm-up (it runs the same kernels again): compiling is what is measured
                scenario = load_scenario(path).model_copy(
                    update={"residents": args["residents"], "days": 1, "warm_up_days": 0})
                run_scenario(scenario)
                ran.append(path.name)
            except Exception as exc:  # a scenario another engineer is still writing
                failed[path.name] = f"{type(exc).__name__}: {exc}"[:200]
    done = time.perf_counter()
    report = {}
    for name, d in dispatchers.items():
        stats = d.stats
        # compile time of each signature compiled here (a caller's includes its callees')
        compile_s = []
        for sig in d.signatures:
            try:
                compile_s.append(d.get_metadata(sig)["timers"]["compiler_lock"])
            except (KeyError, TypeError, AttributeError):
                pass
        report[name] = {"signatures": len(d.signatures), "inlined": d.targetoptions.get("inline") == "always",
                        "cache_hits": sum(stats.cache_hits.values()),
                        "cache_misses": sum(stats.cache_misses.values()), "compile_s": compile_s}
    cache_dir = Path(numba.config.CACHE_DIR)
    return {
        "import_kernels_s": imported - START,
        "import_libraries_s": libraries - imported,
        "exercise_s": done - libraries,
        "total_s": done - START,
        "cache_dir": str(cache_dir),
        "cache_files": len(list(cache_dir.rglob("*.nbi"))) if cache_dir.is_dir() else 0,
        "dispatchers": report,
        "scenarios_ran": ran,
        "scenarios_failed": failed,
        "twin_version": twin.__version__,
    }


def cache_dir(args) -> dict:
    """Compile a kernel with ``NUMBA_CACHE_DIR`` unset and ``XDG_CACHE_HOME``
    pointing at a temporary folder (so the user's cache is not touched):
    where did numba write its cache files?"""
    import numba
    import numpy as np
    import platformdirs

    import twin  # noqa: F401  (sets numba's cache folder, not the environment)
    from twin.core.routing import nearest_facility

    nearest_facility(np.array([0, 1, 1]), np.array([1]), np.array([1.0]), np.array([0]))
    expected = Path(platformdirs.user_cache_dir("twin")) / "numba"
    return {"expected": str(expected), "files_there": len(list(expected.rglob("*.nbi"))),
            "numba_cache_dir": str(numba.config.CACHE_DIR)}


def mesa_trivial(args) -> dict:
    import mesa
    import numba
    import numpy as np
    import psutil
    from numba import njit, prange

    n, repeat = args["n"], args["repeat"]
    numba.set_num_threads(min(args.get("threads", 2), numba.config.NUMBA_NUM_THREADS))

    class Trivial(mesa.Agent):
        def __init__(self, model):
            super().__init__(model)
            self.x = 0.0

        def step(self):
            self.x += 1.0

    @njit(parallel=True)
    def step_arrays(x):
        for i in prange(len(x)):
            x[i] += 1.0

    process = psutil.Process()
    before = process.memory_info().rss
    start = time.perf_counter()
    model = mesa.Model(seed=1)
    Trivial.create_agents(model, n)
    create_s = time.perf_counter() - start
    agents_bytes = process.memory_info().rss - before
    x = np.zeros(n)
    step_arrays(x)  # compile
    model.agents.do("step")
    mesa_s, numba_s = [], []
    for _ in range(repeat):  # alternating, as the suite's paired timings
        t = time.perf_counter()
        model.agents.do("step")
        mesa_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        step_arrays(x)
        numba_s.append(time.perf_counter() - t)
    assert all(a.x == repeat + 1 for a in list(model.agents)[:10])
    return {"create_s": create_s, "agents_bytes": agents_bytes, "mesa_s": mesa_s, "numba_s": numba_s,
            "array_bytes": x.nbytes}


COMMANDS = {"week": week, "reload": reload, "model-memory": model_memory, "compile": compile_all,
            "mesa": mesa_trivial, "cache-dir": cache_dir}

if __name__ == "__main__":
    command, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    print(json.dumps(COMMANDS[command](json.loads(raw))))
