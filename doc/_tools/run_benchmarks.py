"""Run the benchmarks and record their output for the documentation.

Runs every ``benchmarks/bench_*.py`` (or those named on the command line) in a
fresh process each, with the checkout on ``PYTHONPATH``, and writes its
standard output to ``doc/benchmarks/<name>.txt`` under a header that describes
the machine (CPU model, cores, memory, GPU, library versions). The benchmarks
page of the docs includes these files verbatim.

A script that fails or times out leaves its previous recording untouched; the
exit status is non-zero when any script failed.

Usage::

    python doc/_tools/run_benchmarks.py                       # all of them
    python doc/_tools/run_benchmarks.py bench_randomized_svd  # by name or path
    python doc/_tools/run_benchmarks.py --timeout 1800 --list
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "benchmarks"
OUT_DIR = ROOT / "doc" / "benchmarks"

# Versions worth knowing when reading a timing; missing packages are skipped.
PACKAGES = (
    "sksubspace",
    "numpy",
    "scipy",
    "scikit-learn",
    "cupy-cuda12x",
    "cupy",
    "tensorly",
    "rpca",
    "spams-bin",
    "fancyimpute",
    "falkon",
)


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True
            )
            if out.stdout.strip():
                return out.stdout.strip()
        except OSError:
            pass
    return platform.processor() or platform.machine() or "unknown"


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def _memory_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def _gpus():
    if shutil.which("nvidia-smi") is None:
        return "none"
    try:
        out = subprocess.run(
            [
                "nvidia-smi",
                "--query-gpu=name,memory.total,driver_version",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return "; ".join(lines) if lines else "none"


def _versions():
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            if name == "sksubspace":  # running from a checkout that is not installed
                sys.path.insert(0, str(ROOT))
                try:
                    import sksubspace

                    found.append(f"sksubspace {sksubspace.__version__} (checkout)")
                except ImportError:
                    pass
    return ", ".join(found)


def _git_commit():
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    return commit + (" (with local changes)" if dirty.stdout.strip() else "")


def machine_description():
    """Lines describing the machine and the software, for the header."""
    mem = _memory_gib()
    mem_text = f"{mem:.1f} GiB" if mem else "unknown"
    blas = os.environ.get("OMP_NUM_THREADS")
    return [
        f"date:      {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M UTC}",
        f"machine:   {_cpu_model()}, {_usable_cores()} usable cores"
        f" ({os.cpu_count()} logical), {mem_text} memory",
        f"gpu:       {_gpus()}",
        f"system:    {platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"packages:  {_versions()}",
        f"commit:    {_git_commit()}",
        f"threads:   OMP_NUM_THREADS={blas}" if blas else "threads:   library defaults",
    ]


def find_scripts(selection):
    """Benchmark scripts to run: all, or those named (stem, file name or path)."""
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if not selection:
        return scripts
    chosen = []
    for item in selection:
        stem = Path(item).stem
        matches = [s for s in scripts if s.stem == stem]
        if not matches:
            raise SystemExit(f"no benchmark named {item!r}; have {[s.stem for s in scripts]}")
        chosen += matches
    return chosen


def run_one(script, python, timeout, out_dir, echo=True):
    """Run ``script``; on success write ``<out_dir>/<name>.txt``. Return True if it passed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    header = machine_description()  # before the run, so the script's load is not in it
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, str(script)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        print(f"   TIMED OUT after {timeout} s; keeping the previous recording", file=sys.stderr)
        return False
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        print(
            f"   FAILED (exit {proc.returncode}); keeping the previous recording", file=sys.stderr
        )
        return False
    text = "\n".join(
        [f"$ python benchmarks/{script.name}", *header, f"wall time: {wall:.1f} s", "", ""]
    )
    text += proc.stdout if proc.stdout.endswith("\n") else proc.stdout + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{script.stem}.txt"
    tmp = target.with_suffix(".txt.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    if echo:
        print(proc.stdout, end="" if proc.stdout.endswith("\n") else "\n")
    print(f"   {wall:.1f} s -> {target.relative_to(ROOT)}", flush=True)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="*", help="benchmark names or paths (default: all)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per script")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run them with")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the .txt files go")
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    parser.add_argument("--quiet", action="store_true", help="do not echo the scripts' output")
    args = parser.parse_args(argv)
    scripts = find_scripts(args.scripts)
    if args.list:
        print("\n".join(s.stem for s in scripts))
        return 0
    failed = []
    for script in scripts:
        print(f"== {script.relative_to(ROOT)}", flush=True)
        if not run_one(script, args.python, args.timeout, args.out_dir, echo=not args.quiet):
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
