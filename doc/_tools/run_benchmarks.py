"""Run the benchmarks and record their output for the documentation.

Runs every ``benchmarks/bench_*.py`` (or those named on the command line) in a
fresh process each, with the checkout on ``PYTHONPATH``, and writes its
standard output to ``doc/benchmarks/<name>.txt`` under a header that describes
the run (mode and command, machine, threads, library versions, commit). A
script that reports its rows (``benchmarks/_record.py``) also leaves
``doc/benchmarks/<name>.json``, from which the benchmarks page draws a figure
and its summary table. The page includes the text files verbatim.

Two modes (``--mode`` or the ``BENCH_MODE`` environment variable):

* ``quick``: each script's quick settings (``--quick`` when the script accepts
  it, else the smaller arguments of :data:`QUICK_ARGS`); the whole run takes
  well under 30 minutes on 2 cores (``make bench-quick``).
* ``full`` (default): each script's own default run, plus ``--full`` when the
  script accepts it: the numbers for a release (``make bench``).

A script that fails or times out leaves its previous recording untouched; the
exit status is non-zero when any script failed.

Usage::

    python doc/_tools/run_benchmarks.py                       # all of them, full
    python doc/_tools/run_benchmarks.py --mode quick          # all of them, quick
    python doc/_tools/run_benchmarks.py bench_randomized_svd  # by name or path
    python doc/_tools/run_benchmarks.py --mode quick --list   # the command lines
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.metadata
import json
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
    "threadpoolctl",
    "cupy-cuda12x",
    "cupy",
    "dask",
    "dask-ml",
    "fbpca",
    "tensorly",
    "rpca",
    "pyrpca",
    "spams-bin",
    "fancyimpute",
    "scikit-surprise",
    "geomstats",
    "pymanopt",
    "falkon",
)

MODES = ("quick", "full")

# Quick settings of the scripts that do not take ``--quick``: smaller sizes and
# fewer repeats through each script's own command line (see its docstring).
# A script that accepts ``--quick`` gets that instead; one in neither runs as is.
QUICK_ARGS = {
    "bench_dask_out_of_core": ["--gb", "0.2"],
    "bench_dict_learning": ["20000", "100000", "20000x3"],
    "bench_dict_recovery": ["1"],
    "bench_kernel_ridge": ["3000", "1"],
    "bench_multirepresentation": ["50", "2"],
    "bench_nystrom_kernel_ridge": ["20000", "1000"],
    "bench_online_kernel_ridge": ["10000"],
    "bench_outlier_robust_pca": ["10000", "40000"],
    "bench_soft_impute": ["--repeats", "2"],
    # rank 10 from 600,000 entries: 2.4x the degrees of freedom, as recoverable as the full run
    "bench_soft_impute_sparse": ["20000", "5000", "600000", "10", "100"],
    "bench_sparse_coding": ["20000", "1"],
    "bench_spectral_kernel_ridge": ["1000", "3"],
    "bench_subspace_clustering": ["--per-subspace", "250"],
    "bench_subspace_clustering_scale": ["--per-subspace", "500", "--spectral-samples", "2000"],
    "bench_subspace_embedding": ["1000", "3"],
    "bench_subspace_outlier_detector": ["20000", "3"],
}

# Seconds a script may run, per mode (``--timeout`` overrides).
TIMEOUTS = {"quick": 600, "full": 3600}


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


def _load():
    """The load average when the script starts, flagged when others share the machine."""
    try:
        one, five, _ = os.getloadavg()
    except (OSError, AttributeError):
        return "unknown"
    text = f"{one:.1f} (1 min), {five:.1f} (5 min) at the start"
    if one > 0.5 * (_usable_cores() or 1):
        text += ": other work shares the machine"
    return text


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


def _versions(python=None):
    """Versions of :data:`PACKAGES` in the environment of ``python`` (default: this one)."""
    if python and os.path.abspath(python) != os.path.abspath(sys.executable):
        code = (
            "import importlib.metadata as m, json, sys\n"
            "v = {}\n"
            "for n in json.loads(sys.argv[1]):\n"
            "    try: v[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(v))"
        )
        try:
            out = subprocess.run(
                [python, "-c", code, json.dumps(PACKAGES)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            found = json.loads(out.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            found = {}
        text = ", ".join(f"{n} {found[n]}" for n in PACKAGES if n in found)
        if "sksubspace" not in found:
            text = _versions().split(", ")[0] + (", " + text if text else "")
        return f"{text} (environment of {python})"
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


def _threads():
    """The BLAS / OpenMP libraries a script will load and their thread counts."""
    env = [f"{v}={os.environ[v]}" for v in _THREAD_VARS if v in os.environ]
    try:
        import numpy  # noqa: F401  (loads the BLAS that threadpoolctl reports)
        from threadpoolctl import threadpool_info

        pools = [
            f"{p.get('internal_api', p.get('prefix'))} {p.get('version') or ''} "
            f"{p['num_threads']} threads".replace("  ", " ")
            for p in threadpool_info()
        ]
    except Exception:  # threadpoolctl missing or failing: the environment still helps
        pools = []
    text = ", ".join(pools) if pools else "unknown libraries"
    return text + (f" ({', '.join(env)})" if env else " (no thread variables set)")


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def machine_description(python=None):
    """Lines describing the machine and the software (of ``python``), for the header."""
    mem = _memory_gib()
    mem_text = f"{mem:.1f} GiB" if mem else "unknown"
    return [
        f"date:      {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M UTC}",
        f"machine:   {_cpu_model()}, {_usable_cores()} usable cores"
        f" ({os.cpu_count()} logical), {mem_text} memory",
        f"load:      {_load()}",
        f"gpu:       {_gpus()}",
        f"system:    {platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"packages:  {_versions(python)}",
        f"commit:    {_git_commit()}",
        f"threads:   {_threads()}",
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


def script_args(script, mode):
    """The command-line arguments of ``script`` in ``mode``."""
    text = Path(script).read_text(encoding="utf-8")
    if mode == "quick":
        if '"--quick"' in text:
            return ["--quick"]
        return list(QUICK_ARGS.get(Path(script).stem, []))
    return ["--full"] if '"--full"' in text else []


def _finish_json(tmp, target, meta):
    """Move the script's rows to ``target`` with ``meta`` added; drop a stale one."""
    if not tmp.is_file():
        target.unlink(missing_ok=True)  # the script no longer reports rows
        return None
    data = json.loads(tmp.read_text(encoding="utf-8"))
    data.update(meta)
    target.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.unlink()
    return target


def run_one(script, python, timeout, out_dir, echo=True, mode="full"):
    """Run ``script``; on success write ``<out_dir>/<name>.txt`` (and ``.json``). Return True if it passed."""
    args = script_args(script, mode)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_json = out_dir / f".{script.stem}.json.tmp"
    tmp_json.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    env["SKSUBSPACE_BENCH_JSON"] = str(tmp_json)
    env["SKSUBSPACE_BENCH_MODE"] = mode
    header = machine_description(python)  # before the run, so the script's load is not in it
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, str(script), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        tmp_json.unlink(missing_ok=True)
        print(f"   TIMED OUT after {timeout} s; keeping the previous recording", file=sys.stderr)
        return False
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tmp_json.unlink(missing_ok=True)
        print(proc.stdout[-2000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
        print(
            f"   FAILED (exit {proc.returncode}); keeping the previous recording", file=sys.stderr
        )
        return False
    command = " ".join([f"python benchmarks/{script.name}", *args])
    text = "\n".join(
        [f"$ {command}", f"mode:      {mode}", *header, f"wall time: {wall:.1f} s", "", ""]
    )
    text += proc.stdout if proc.stdout.endswith("\n") else proc.stdout + "\n"
    target = out_dir / f"{script.stem}.txt"
    tmp = target.with_suffix(".txt.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    meta = {"benchmark": script.stem, "mode": mode, "command": command}
    meta.update(line.split(":", 1) for line in header if line.startswith(("date", "commit")))
    meta = {k: v.strip() for k, v in meta.items()}
    rows = _finish_json(tmp_json, out_dir / f"{script.stem}.json", meta)
    if echo:
        print(proc.stdout, end="" if proc.stdout.endswith("\n") else "\n")
    shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    done = f"{shown}" + (f" and {rows.name}" if rows else "")
    print(f"   {wall:.1f} s -> {done}", flush=True)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="*", help="benchmark names or paths (default: all)")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default=os.environ.get("BENCH_MODE") or "full",
        help="quick settings or each script's full run (default: $BENCH_MODE or full)",
    )
    parser.add_argument("--timeout", type=float, help="seconds per script (default: by mode)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run them with")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where the .txt files go")
    parser.add_argument("--list", action="store_true", help="list the command lines and exit")
    parser.add_argument("--quiet", action="store_true", help="do not echo the scripts' output")
    args = parser.parse_args(argv)
    if args.mode not in MODES:
        parser.error(f"BENCH_MODE must be one of {MODES}, not {args.mode!r}")
    scripts = find_scripts(args.scripts)
    if args.list:
        for s in scripts:
            print(" ".join([f"benchmarks/{s.name}", *script_args(s, args.mode)]))
        return 0
    timeout = args.timeout or TIMEOUTS[args.mode]
    failed, start = [], time.perf_counter()
    for k, script in enumerate(scripts, 1):
        elapsed = time.perf_counter() - start
        print(f"== [{k}/{len(scripts)}, {elapsed:.0f} s] {script.relative_to(ROOT)}", flush=True)
        ok = run_one(
            script, args.python, timeout, args.out_dir, echo=not args.quiet, mode=args.mode
        )
        if not ok:
            failed.append(script.stem)
    print(
        f"{len(scripts) - len(failed)} recorded, {len(failed)} failed in "
        f"{time.perf_counter() - start:.0f} s ({args.mode} mode)"
    )
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
