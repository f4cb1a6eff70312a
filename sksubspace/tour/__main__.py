"""Run the quick tour: ``python -m tour --out tour_output``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import tour


def _sections():
    names = sorted(
        m.name for m in pkgutil.iter_modules(tour.__path__) if not m.name.startswith("_")
    )
    return [importlib.import_module(f"tour.{name}") for name in names]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="tour_output", help="folder for the plots and results")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows, failed = [], []
    start = time.perf_counter()
    for module in _sections():
        name = module.__name__.split(".")[-1]
        print(f"--- {name}", flush=True)
        try:
            rows.extend(module.run(out))
        except Exception:  # report every family, then fail at the end
            traceback.print_exc()
            failed.append(name)

    cols = ["family", "estimator", "data", "metric"]
    width = {c: max([len(c)] + [len(str(r[c])) for r in rows]) + 2 for c in cols}
    header = "".join(f"{c:<{width[c]}}" for c in cols) + f"{'value':>11}{'seconds':>9}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            "".join(f"{str(r[c]):<{width[c]}}" for c in cols)
            + f"{r['value']:>11.4g}{r['seconds']:>9.2f}"
        )
    table = "\n".join(lines)
    print("\n" + table)
    (out / "results.txt").write_text(table + "\n")
    print(f"\nTour finished in {time.perf_counter() - start:.1f} s; plots and results in {out}/")
    if failed:
        print(f"Sections that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
