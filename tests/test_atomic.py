"""Files written whole or not at all, cache keys over the full code, and an
import that leaves the process environment alone."""

import os
import subprocess
import sys

import numpy as np
import pytest

from twin.atomic import atomic_file, files_digest, replace_folder


def test_atomic_file_replaces_whole_or_keeps_the_old_content(tmp_path):
    path = tmp_path / "sub" / "entry.bin"
    with atomic_file(path) as file:
        file.write(b"first")
    assert path.read_bytes() == b"first"
    with pytest.raises(RuntimeError), atomic_file(path) as file:
        file.write(b"half of the sec")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in path.parent.iterdir()) == ["entry.bin"]  # no temporary left


def test_replace_folder_swaps_in_the_new_folder(tmp_path):
    out, tmp = tmp_path / "out", tmp_path / ".out.tmp"
    out.mkdir()
    (out / "old.txt").write_text("old")
    tmp.mkdir()
    (tmp / "new.txt").write_text("new")
    replace_folder(tmp, out)
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_files_digest_changes_with_any_byte(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    key = files_digest([a, b], "numba=1")
    assert files_digest([b, a], "numba=1") == key  # order of the list does not matter
    b.write_text("y = 3\n")
    assert files_digest([a, b], "numba=1") != key
    assert files_digest([a, b], "numba=2") != files_digest([a, b], "numba=1")


def test_importing_twin_leaves_the_environment_alone(tmp_path):
    code = (
        "import os, json; before = dict(os.environ)\n"
        "import twin, twin.core.daily, twin.abm, twin.experiments.compare, numba\n"
        "print(json.dumps([before == dict(os.environ), numba.config.CACHE_DIR]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    unchanged, cache_dir = __import__("json").loads(out)
    assert unchanged
    # user_cache_dir/twin/numba/<digest of twin.core's sources>: a change to any kernel module compiles afresh
    folder = __import__("pathlib").Path(cache_dir)
    assert cache_dir.startswith(str(tmp_path)) and folder.parent.name == "numba"
    assert len(folder.name) == 16 and int(folder.name, 16) >= 0


def test_zone_cache_round_trip_and_unreadable_entry_rebuilt(helsinki, tmp_path):
    from twin.abm.access import drive_zone_times

    zones = drive_zone_times(helsinki, n_zones=64, cache_dir=tmp_path)
    [entry] = (tmp_path / "paratransit-zones").iterdir()
    again = drive_zone_times(helsinki, n_zones=64, cache_dir=tmp_path)
    for name in zones._fields:
        np.testing.assert_array_equal(getattr(zones, name), getattr(again, name))
    entry.write_bytes(entry.read_bytes()[:100])  # truncated by a crash of an old writer
    rebuilt = drive_zone_times(helsinki, n_zones=64, cache_dir=tmp_path)
    np.testing.assert_array_equal(rebuilt.between_s, zones.between_s)
    with np.load(entry) as npz:  # the entry is whole again
        np.testing.assert_array_equal(npz["between_s"], zones.between_s)
