"""The tour's command (python -m sksubspace.tour): family list, streaming, table, HTML page."""

import pkgutil
import subprocess
import sys
import types

import pytest

import sksubspace.tour as tour
from sksubspace.tour import FAMILIES
from sksubspace.tour._run import format_table, html_page, run_tour


def test_every_tour_module_is_a_listed_family():
    modules = {m.name for m in pkgutil.iter_modules(tour.__path__) if not m.name.startswith("_")}
    assert modules == set(FAMILIES)
    assert len(FAMILIES) == len(set(FAMILIES))


def test_command_line_lists_families():
    out = subprocess.run(
        [sys.executable, "-m", "sksubspace.tour", "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == list(FAMILIES)


def test_unknown_family_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        tour.main(["--families", "nope"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def _row(family, value):
    return dict(family=family, estimator="Est<1>", data="d", metric="m", value=value, seconds=0.5)


@pytest.fixture
def fake_families(monkeypatch):
    """Two tiny families (one writes a plot) and one that raises."""
    plt = pytest.importorskip("matplotlib.pyplot")

    def run_a(out_dir):
        fig, ax = plt.subplots()
        ax.plot([0, 1])
        fig.savefig(out_dir / "a_line.png")
        plt.close(fig)
        return [_row("a", 0.25), _row("a", 1.0)]

    def run_bad(out_dir):
        raise RuntimeError("boom")

    for name, fn in [("_fake_a", run_a), ("_fake_bad", run_bad)]:
        module = types.ModuleType(f"sksubspace.tour.{name}")
        module.run = fn
        monkeypatch.setitem(sys.modules, module.__name__, module)


def test_run_tour_streams_rows_and_reports_failures(fake_families, tmp_path, capsys):
    rows, figures, failed, seconds = run_tour(["_fake_a", "_fake_bad"], tmp_path)
    assert [r["value"] for r in rows] == [0.25, 1.0]
    assert figures == [("_fake_a", "a_line.png")]
    assert failed == ["_fake_bad"]
    assert seconds >= 0
    out = capsys.readouterr()
    # each family's rows are printed when it finishes; the failure is reported, not raised
    assert "--- _fake_a" in out.out and "Est<1>" in out.out
    assert "_fake_bad: FAILED" in out.out and "RuntimeError: boom" in out.out
    assert "2/2" in out.err  # the bar over families


def test_table_and_html_page():
    rows = [_row("a", 0.25), _row("b", 3.0)]
    table = format_table(rows).splitlines()
    assert table[0].split() == ["family", "estimator", "data", "metric", "value", "seconds"]
    assert len(table) == 4 and table[2].split()[-2:] == ["0.25", "0.50"]
    page = html_page(rows, [("a", "a_line.png")], ["c"], "about <this>")
    assert page.count("<tr") == 3  # header + 2 rows
    assert "Est&lt;1&gt;" in page and "about &lt;this&gt;" in page  # escaped
    assert '<img src="a_line.png"' in page
    assert "Families that failed: c" in page
