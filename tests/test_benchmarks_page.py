"""The benchmarks page machinery: recorded rows, runner modes and headers, verdicts, summary."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "doc" / "_ext"))
import sksubspace_docs  # noqa: E402


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


record_mod = _load(ROOT / "benchmarks" / "_record.py", "_bench_record")
runner = _load(ROOT / "doc" / "_tools" / "run_benchmarks.py", "_run_benchmarks")


def _row(workload, ours_time, peer, peer_time, ours_q=None, peer_q=None, higher=True):
    return record_mod.comparison(
        workload,
        ours="Ours",
        ours_time=ours_time,
        peer=peer,
        peer_time=peer_time,
        metric="accuracy",
        ours_quality=ours_q,
        peer_quality=peer_q,
        higher_is_better=higher,
    )


def test_record_writes_json_only_when_asked(tmp_path, monkeypatch):
    rows = [_row("w", 1.0, "P", 2.0, float("nan"), 0.5)]
    assert rows[0]["ours_quality"] is None  # NaN is not JSON
    monkeypatch.delenv(record_mod.ENV, raising=False)
    assert record_mod.record(rows, family="Foundation") is None
    target = tmp_path / "x.json"
    monkeypatch.setenv(record_mod.ENV, str(target))
    assert record_mod.record(rows, family="Foundation") == target
    data = json.loads(target.read_text())
    assert data["family"] == "Foundation" and data["rows"] == rows


def test_script_args_by_mode(tmp_path):
    quick = tmp_path / "bench_q.py"
    quick.write_text('import sys\nquick = "--quick" in sys.argv\n')
    plain = tmp_path / "bench_subspace_outlier_detector.py"
    plain.write_text("print(1)\n")
    assert runner.script_args(quick, "quick") == ["--quick"]
    assert runner.script_args(quick, "full") == []
    assert runner.script_args(plain, "quick") == runner.QUICK_ARGS[plain.stem]
    assert runner.script_args(plain, "full") == []
    assert set(runner.QUICK_ARGS) <= {p.stem for p in (ROOT / "benchmarks").glob("bench_*.py")}


def test_run_one_records_text_header_and_rows(tmp_path):
    script = tmp_path / "bench_fake.py"
    script.write_text(
        "import json, os\n"
        "print('ours 1.0 s, peer 2.0 s')\n"
        "rows = [dict(workload='w', ours='O', ours_time=1.0, peer='P', peer_time=2.0)]\n"
        "json.dump({'family': 'Foundation', 'rows': rows},"
        " open(os.environ['SKSUBSPACE_BENCH_JSON'], 'w'))\n"
    )
    out = tmp_path / "out"
    assert runner.run_one(script, sys.executable, 60, out, echo=False, mode="quick")
    text = (out / "bench_fake.txt").read_text()
    head = text.split("\n\n")[0]
    for key in ("$ python benchmarks/bench_fake.py", "mode:      quick", "machine:", "threads:"):
        assert key in head
    assert "commit:" in head and "packages:  sksubspace" in head
    assert text.rstrip().endswith("ours 1.0 s, peer 2.0 s")
    data = json.loads((out / "bench_fake.json").read_text())
    assert data["mode"] == "quick" and data["benchmark"] == "bench_fake"
    assert data["rows"][0]["peer_time"] == 2.0 and "commit" in data

    # a failing run keeps the previous recording; a run without rows drops the stale JSON
    script.write_text("raise SystemExit(3)\n")
    assert not runner.run_one(script, sys.executable, 60, out, echo=False)
    assert (out / "bench_fake.txt").read_text() == text
    assert (out / "bench_fake.json").is_file()
    script.write_text("print('no rows')\n")
    assert runner.run_one(script, sys.executable, 60, out, echo=False)
    assert not (out / "bench_fake.json").exists()
    assert not list(out.glob(".*.tmp"))


def test_verdict_says_where_we_lose():
    rows = [
        _row("small", 0.5, "Peer", 1.0, 0.99, 0.98),
        _row("large", 3.0, "Peer", 1.0, 0.80, 0.95),
        _row("small", 0.1, "Other", 1.0, 0.99, 0.99),
    ]
    verdict = sksubspace_docs.benchmark_verdict(rows)
    assert (
        "against Peer: faster on 1 of 2 workloads, slower on 1 (time ratio ours/peer 0.5-3x)"
        in verdict
    )
    assert "worse accuracy on large (0.8 vs 0.95)" in verdict
    assert "against Other: faster on the workload (time ratio ours/peer 0.1x)" in verdict
    assert "same accuracy" in verdict  # equal within 1% against Other
    errors = [_row("w", 2.0, "P", 1.0, 1e-3, 1e-2, higher=False)]
    assert "slower on the workload" in sksubspace_docs.benchmark_verdict(errors)
    assert "better accuracy" in sksubspace_docs.benchmark_verdict(errors)


def test_summary_has_one_row_per_family_with_the_closest_peer():
    results = {
        "bench_a": {"family": "Robust PCA", "rows": [_row("w", 0.1, "Fast", 1.0)]},
        "bench_b": {
            "family": "Robust PCA",
            "rows": [_row("w", 0.9, "Faster", 1.0, 0.5, 0.9), _row("v", 1.1, "Faster", 1.0)],
        },
        "bench_c": {"family": "Foundation", "rows": [_row("w", 0.2, "P", 1.0)]},
    }
    lines = sksubspace_docs.benchmarks_summary(results)
    text = "\n".join(lines)
    assert text.count("   * - ") == 3  # header + 2 families
    rpca = text.split("* - Robust PCA")[1].split("* - ")[0]
    assert "Faster" in rpca and "1x (median; 0.9-1.1x)" in rpca and "ours worse on 1 of 1" in rpca
    assert text.index("Robust PCA") < text.index("Foundation")  # the landing page's order


def test_page_shows_verdict_and_figure(tmp_path):
    pytest.importorskip("matplotlib")
    doc = tmp_path / "doc"
    (doc / "benchmarks").mkdir(parents=True)
    name = sksubspace_docs.benchmark_scripts()[0].stem
    rows = [_row("w", 0.5, "P", 1.0, 0.9, 0.8)]
    (doc / "benchmarks" / f"{name}.json").write_text(
        json.dumps({"family": "Foundation", "rows": rows, "mode": "quick"})
    )
    text = sksubspace_docs.benchmarks_include(ROOT, doc, figures=True)
    assert f".. figure:: generated/{name}.png" in text
    assert "**Verdict:** against P: faster on the workload" in text
    assert (doc / "benchmarks" / "generated" / f"{name}.png").stat().st_size > 1000
    assert text.index("Summary") < text.index(f".. _{name}:")
