"""The results store gives back what was put in it, whole runs only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.experiments.results_store import ResultsStore


def run_frame(run: str, groups: list[str | None]) -> pd.DataFrame:
    rng = np.random.default_rng(ord(run))
    return pd.DataFrame({"run": run, "group": pd.Series(groups, dtype=object),
                         "people": rng.integers(0, 100, len(groups)).astype(float),
                         "mean": rng.normal(size=len(groups))})


def same_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing groups as one marker, whether stored as None or NaN."""
    return frame.astype({"run": object, "group": object}).fillna({"group": "<none>"})


def test_read_is_the_stored_runs_concatenated_in_key_order(tmp_path):
    store = ResultsStore(tmp_path)
    frames = {"b": run_frame("b", ["poorest", "richest"]),
              "a": run_frame("a", [None, None, None]),  # a column all null in one run
              "c": run_frame("c", ["poorest", None])}
    for key, frame in frames.items():
        store.put(key, frame)
    expected = pd.concat([frames[k] for k in sorted(frames)], ignore_index=True)
    pd.testing.assert_frame_equal(same_rows(store.read()), same_rows(expected))
    pd.testing.assert_frame_equal(same_rows(store.read(["c", "missing"])), same_rows(frames["c"]))
    assert store.read(["missing"]).empty
