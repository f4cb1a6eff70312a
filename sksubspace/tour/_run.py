"""Run the quick tour: every estimator family, a results table, plots and an HTML page.

Usage: ``python -m sksubspace.tour [--out tour_output] [--families NAME ...]``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import html
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from ..utils._progress import progress_bar
from . import FAMILIES

COLUMNS = ("family", "estimator", "data", "metric")


def format_table(rows):
    """The rows as an aligned plain-text table (header, rule, one line per row)."""
    width = {c: max([len(c)] + [len(str(r[c])) for r in rows]) + 2 for c in COLUMNS}
    header = "".join(f"{c:<{width[c]}}" for c in COLUMNS) + f"{'value':>11}{'seconds':>9}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            "".join(f"{str(r[c]):<{width[c]}}" for c in COLUMNS)
            + f"{r['value']:>11.4g}{r['seconds']:>9.2f}"
        )
    return "\n".join(lines)


def _versions():
    import numpy
    import scipy
    import sklearn

    import sksubspace

    return (
        f"sksubspace {sksubspace.__version__}, numpy {numpy.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}"
    )


def _about(seconds):
    return (
        f"{_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC; {_versions()}; "
        f"Python {platform.python_version()} on {platform.system()}, "
        f"{os.cpu_count()} logical cores; {seconds:.1f} s in all"
    )


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; }
h1 { margin-bottom: 0.2em; } .about { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.first td { border-top: 2px solid #999; }
.failed { color: #b00; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr));
           gap: 1.2em; }
figure { margin: 0; border: 1px solid #ddd; padding: 0.5em; background: #fff; }
figure img { max-width: 100%; height: auto; display: block; margin: auto; }
figcaption { font-size: 0.85em; color: #444; margin-top: 0.3em; }
"""


def html_page(rows, figures, failed, about):
    """A one-page HTML report: the results table, then every figure with its family."""
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>sksubspace tour</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>sksubspace: the quick tour</h1>",
        f'<p class="about">{esc(about)}</p>',
    ]
    if failed:
        out.append(f'<p class="failed">Families that failed: {esc(", ".join(failed))}</p>')
    out.append("<h2>Results</h2><table><thead><tr>")
    out += [f"<th>{c}</th>" for c in (*COLUMNS, "value", "seconds")]
    out.append("</tr></thead><tbody>")
    previous = None
    for r in rows:
        first = r["family"] != previous
        previous = r["family"]
        out.append('<tr class="first">' if first else "<tr>")
        out += [f"<td>{esc(str(r[c]))}</td>" for c in COLUMNS]
        out.append(f'<td class="num">{r["value"]:.4g}</td>')
        out.append(f'<td class="num">{r["seconds"]:.2f}</td></tr>')
    out.append("</tbody></table>")
    if figures:
        out.append('<h2>Figures</h2><div class="figures">')
        for family, name in figures:
            out.append(
                f'<figure><img src="{esc(name)}" alt="{esc(name)}">'
                f"<figcaption>{esc(family)}: {esc(name)}</figcaption></figure>"
            )
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def run_tour(families, out, *, bar_file=None):
    """Run ``families`` (module names), streaming each one's rows; return the results.

    Returns ``(rows, figures, failed, seconds)``: the table's rows, the
    ``(family, file name)`` of every plot written, the families that raised.
    """
    rows, figures, failed = [], [], []
    start = time.perf_counter()
    bar = progress_bar(families, desc="tour", unit="families", file=bar_file, min_interval=0.0)
    for name in bar:
        before = set(out.glob("*.png"))
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"{__package__}.{name}")
            new_rows = list(module.run(out))
        except Exception:  # report every family, then fail at the end
            bar.write(f"--- {name}: FAILED\n{traceback.format_exc()}")
            failed.append(name)
            continue
        rows += new_rows
        figures += [(name, p.name) for p in sorted(set(out.glob("*.png")) - before)]
        took = time.perf_counter() - t0
        bar.write(f"--- {name} ({took:.1f} s)\n{format_table(new_rows)}\n")
    return rows, figures, failed, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sksubspace.tour",
        description="The quick tour of sksubspace: every estimator family on generated or "
        "built-in data; prints a results table and writes plots and index.html.",
    )
    parser.add_argument("--out", default="tour_output", help="folder for the results and plots")
    parser.add_argument(
        "--families",
        nargs="+",
        choices=FAMILIES,
        metavar="NAME",
        help=f"run only these families (default: all of {', '.join(FAMILIES)})",
    )
    parser.add_argument("--list", action="store_true", help="list the families and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(FAMILIES))
        return 0
    try:
        import matplotlib
    except ImportError:
        print(
            "The tour draws plots with matplotlib: pip install matplotlib "
            "(or pip install 'sksubspace[tour]').",
            file=sys.stderr,
        )
        return 2
    if "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")  # files only, no window

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    families = [f for f in FAMILIES if args.families is None or f in args.families]
    rows, figures, failed, seconds = run_tour(families, out)

    table = format_table(rows)
    print("\n" + table, flush=True)
    (out / "results.txt").write_text(table + "\n", encoding="utf-8")
    (out / "index.html").write_text(
        html_page(rows, figures, failed, _about(seconds)), encoding="utf-8"
    )
    print(f"\nTour finished in {seconds:.1f} s; open {out / 'index.html'} for the table and plots.")
    if failed:
        print(f"Families that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
