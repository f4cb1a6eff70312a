"""The progress-bar helper: silent, plain text, tqdm; and its wiring into long loops."""

import io
import re

import numpy as np
import pytest

from sksubspace.utils import _progress
from sksubspace.utils._progress import _format_seconds, progress_bar
from sksubspace.utils._threads import threaded_block_map


def test_silent_when_not_verbose(capsys):
    out = io.StringIO()
    bar = progress_bar(range(5), verbose=0, file=out)
    assert list(bar) == [0, 1, 2, 3, 4]
    assert bar.n == 5
    assert out.getvalue() == ""
    assert capsys.readouterr() == ("", "")


def test_text_fallback_counts_rate_and_eta():
    out = io.StringIO()
    with progress_bar(total=10, desc="job", unit="rows", use_tqdm=False, file=out) as bar:
        bar.update(4)
        # the line while running: percentage, rate and the time left
        line = bar.line()
        assert line.startswith("job: 4/10 rows (40%)")
        assert re.search(r"rows/s|s/rows", line)
        assert "ETA" in line
        bar.update(6)
        bar.set_postfix("cost 0.5")
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("job: 10/10 rows (100%)")
    assert "ETA" not in last  # done
    assert last.endswith("cost 0.5")
    bar.close()  # closing twice prints nothing more
    assert out.getvalue().strip().splitlines()[-1] == last


def test_text_fallback_without_total_and_throttle():
    out = io.StringIO()
    items = list(progress_bar(iter("abc"), use_tqdm=False, file=out, min_interval=3600))
    assert items == ["a", "b", "c"]
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # throttled: only the closing line
    assert lines[0].startswith("3 it,") and "%" not in lines[0]


def test_falls_back_to_text_without_tqdm(monkeypatch):
    monkeypatch.setattr(_progress, "_tqdm_class", lambda: None)
    out = io.StringIO()
    list(progress_bar(range(3), desc="x", file=out))
    assert out.getvalue().startswith("x: 3/3 it (100%)")
    with pytest.raises(ImportError, match="needs tqdm"):
        progress_bar(range(3), use_tqdm=True)


def test_tqdm_backend():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    bar = progress_bar(range(7), desc="tq", unit="rows", file=out)
    assert bar.backend == "tqdm"
    for _ in bar:
        pass
    bar.write("a line")
    text = out.getvalue()
    assert "tq" in text and "7/7" in text and "a line" in text


def test_wraps_len_and_write_when_silent(capsys):
    bar = progress_bar([1, 2], verbose=0)
    assert bar.total == 2
    bar.write("kept")  # messages are not progress: printed even when silent
    assert capsys.readouterr().out == "kept\n"
    with pytest.raises(TypeError, match="update"):
        iter(progress_bar(total=3, verbose=0)).__next__()


@pytest.mark.parametrize(
    "seconds, text", [(4.25, "4.2 s"), (125, "2 min 05 s"), (7620, "2 h 07 min")]
)
def test_format_seconds(seconds, text):
    assert _format_seconds(seconds) == text


@pytest.mark.parametrize("n_threads", [1, 2])
def test_threaded_block_map_counts_every_row(n_threads, monkeypatch):
    monkeypatch.setattr(_progress, "_tqdm_class", lambda: None)
    out = io.StringIO()
    monkeypatch.setattr(_progress.sys, "stderr", out)
    blocks = [(0, 4), (4, 8), (8, 10)]
    parts = threaded_block_map(lambda a, b: b - a, blocks, n_threads, verbose=1, desc="blk")
    assert parts == [4, 4, 2]
    assert out.getvalue().strip().splitlines()[-1].startswith("blk: 10/10 rows (100%)")
    # silent by default
    out.truncate(0)
    threaded_block_map(lambda a, b: b - a, blocks, n_threads)
    assert out.getvalue().strip("\x00") == ""


def test_verbose_fit_shows_a_bar(monkeypatch):
    from sksubspace.cluster import ElasticNetSubspaceClustering
    from sksubspace.datasets import make_subspaces

    monkeypatch.setattr(_progress, "_tqdm_class", lambda: None)
    out = io.StringIO()
    monkeypatch.setattr(_progress.sys, "stderr", out)
    X, y, _ = make_subspaces(2, 2, 8, 30, random_state=0)
    labels = ElasticNetSubspaceClustering(2, verbose=1, random_state=0).fit_predict(X)
    assert np.unique(labels).size == 2
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith(f"[ElasticNetSubspaceClustering] coding: {len(X)}/{len(X)} rows (100%)")


def test_text_last_line_printed_once():
    out = io.StringIO()
    list(progress_bar(range(3), use_tqdm=False, file=out, min_interval=0.0))
    lines = out.getvalue().strip().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "1/3 it (33%)",
        "2/3 it (67%)",
        "3/3 it (100%)",
    ]
