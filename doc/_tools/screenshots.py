"""Screenshots of the built documentation, and checks of how its pages render.

Builds nothing: give it a built site (``make doc`` writes ``doc/_build/html``).
For four pages (the home page, the benchmarks page, one gallery example and
one API page) it runs headless Chromium twice, offline, on the local files:

* a screenshot, ``doc/_build/screenshots/<page>.png`` (1400 x 2000 pixels);
* the page after its scripts ran (``--dump-dom``), with a small script added
  to a temporary copy of the page that reports, from the rendered layout:
  formulas left as raw LaTeX (``\\(``, ``\\[``, ``$$`` in the text: MathJax did
  not run), images that did not load, tables wider than their column (a
  scrollbar hides their last columns) and a page wider than the window.

It also checks the HTML itself: MathJax is loaded from a local file (no CDN:
the docs must read offline) that exists, no other script or style sheet comes
from the network, and every ``<img>`` points to an existing file.

Prints one line per page and problem, writes ``report.txt`` next to the
screenshots, and exits non-zero when a problem was found.

Usage::

    python doc/_tools/screenshots.py                    # doc/_build/html
    python doc/_tools/screenshots.py --html doc/_build/html --out /tmp/shots
    python doc/_tools/screenshots.py --page auto_examples/robust_pca/plot_x.html
"""

from __future__ import annotations

import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[2]
WINDOW = (1400, 2000)
# Virtual time given to each page's scripts (MathJax typesetting) before the shot.
BUDGET_MS = 15000

# Run in the page after it loaded; writes its findings into <pre id=...>.
PROBE = """
<script>
window.addEventListener("load", function () {
  function report() {
    var out = {raw_latex: [], broken_images: [], wide_tables: [], page_width: null,
               mathjax: typeof window.MathJax !== "undefined" &&
                        !!(window.MathJax.startup || window.MathJax.Hub)};
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    var skip = /^(SCRIPT|STYLE|PRE|CODE|TEXTAREA|KBD|SAMP)$/;
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var el = node.parentElement, inside = false;
      for (var p = el; p; p = p.parentElement) {
        if (skip.test(p.tagName) || (p.classList && p.classList.contains("highlight"))) {
          inside = true; break;
        }
      }
      if (inside) continue;
      var t = node.textContent;
      if (/\\\\\\(|\\\\\\[|\\$\\$|\\\\begin\\{/.test(t)) out.raw_latex.push(t.trim().slice(0, 120));
    }
    document.querySelectorAll("img").forEach(function (img) {
      if (!img.complete || img.naturalWidth === 0) out.broken_images.push(img.getAttribute("src"));
    });
    document.querySelectorAll("table").forEach(function (table) {
      var box = table.parentElement, w = table.getBoundingClientRect().width;
      var room = box.clientWidth;
      if (w > room + 2) {
        var head = table.querySelector("th, td");
        out.wide_tables.push({first_cell: head ? head.textContent.trim().slice(0, 40) : "",
                              width: Math.round(w), room: Math.round(room)});
      }
    });
    var doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth + 2) out.page_width = doc.scrollWidth;
    var pre = document.createElement("pre");
    pre.id = "sksubspace-render-probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  var mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(function () { setTimeout(report, 200); });
  } else {
    setTimeout(report, 1500);
  }
});
</script>
"""


class _Links(html.parser.HTMLParser):
    """The ``<script src>``, ``<link href>`` and ``<img src>`` of a page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "link" and a.get("href") and "stylesheet" in (a.get("rel") or ""):
            self.styles.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.images.append(a["src"])


def _remote(url):
    return urlparse(url).scheme in ("http", "https") or url.startswith("//")


def _local_file(page, url):
    """The file a relative URL of ``page`` points to."""
    path = unquote(urlparse(url).path)
    return (page.parent / path).resolve()


def static_checks(page):
    """Problems visible in the HTML of ``page`` (a Path), as strings."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    problems = []
    mathjax = [s for s in parser.scripts if "mathjax" in s.lower()]
    for src in mathjax:
        if _remote(src):
            problems.append(f"MathJax loads from the network ({src}): formulas need a connection")
        elif not _local_file(page, src).is_file():
            problems.append(f"MathJax script {src} is missing")
    for url in parser.scripts + parser.styles:
        if _remote(url) and url not in mathjax:
            problems.append(f"loads {url} from the network")
    for src in parser.images:
        if src.startswith("data:"):
            continue
        if _remote(src):
            problems.append(f"image from the network: {src}")
        elif not _local_file(page, src).is_file():
            problems.append(f"missing image file: {src}")
    has_math = 'class="math' in page.read_text(encoding="utf-8", errors="replace")
    if has_math and not mathjax:
        problems.append("the page has formulas but loads no MathJax")
    return problems, bool(mathjax), has_math


def find_chromium(explicit=None):
    for name in [explicit] if explicit else ["chromium", "chromium-browser", "google-chrome"]:
        path = shutil.which(name) or (name if name and os.path.isfile(name) else None)
        if path:
            return path
    raise SystemExit("no Chromium found: pass --chromium /path/to/chromium")


def _chromium(chromium, profile, *args, timeout=120):
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",  # needed as root; the pages are our own local files
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-extensions",
        "--allow-file-access-from-files",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--virtual-time-budget={BUDGET_MS}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def rendered_checks(chromium, profile, page):
    """Problems of the rendered ``page`` (the probe's findings), as strings."""
    copy = page.with_name(f".probe-{page.name}")
    text = page.read_text(encoding="utf-8", errors="replace")
    copy.write_text(text.replace("</body>", PROBE + "</body>", 1), encoding="utf-8")
    try:
        proc = _chromium(chromium, profile, "--dump-dom", copy.as_uri())
    finally:
        copy.unlink(missing_ok=True)
    match = re.search(r'<pre id="sksubspace-render-probe">(.*?)</pre>', proc.stdout, re.S)
    if not match:
        return ["the page did not finish rendering (no probe report)"], None
    found = json.loads(html.unescape(match.group(1)))
    problems = [f"raw LaTeX in the text: {t!r}" for t in found["raw_latex"][:5]]
    if len(found["raw_latex"]) > 5:
        problems.append(f"... {len(found['raw_latex']) - 5} more raw LaTeX fragments")
    problems += [f"image did not load: {src}" for src in found["broken_images"]]
    problems += [
        f"table wider than its column ({t['width']} px in {t['room']} px; first cell "
        f"{t['first_cell']!r}): its last columns are hidden"
        for t in found["wide_tables"]
    ]
    if found["page_width"]:
        problems.append(f"page wider than the window ({found['page_width']} px)")
    return problems, found


def default_pages(html_dir):
    """(name, path) of the home, benchmarks, one gallery example and one API page."""
    pages = [("home", html_dir / "index.html"), ("benchmarks", html_dir / "benchmarks/index.html")]
    examples = sorted((html_dir / "auto_examples").glob("*/plot_*.html"))
    # an example with formulas if there is one, else the digits clustering example
    with_math = [p for p in examples if 'class="math' in p.read_text(errors="replace")]
    digits = [p for p in examples if p.name == "plot_digits.html"]
    if examples:
        pages.append(("gallery_example", (with_math or digits or examples)[0]))
    api = html_dir / "api/generated/sksubspace.decomposition.RobustPCA.html"
    if not api.is_file():
        api = next(iter(sorted((html_dir / "api/generated").glob("*.html"))), None)
    if api:
        pages.append(("api", api))
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "doc/_build/html")
    parser.add_argument("--out", type=Path, default=ROOT / "doc/_build/screenshots")
    parser.add_argument("--chromium", help="the browser (default: chromium on the PATH)")
    parser.add_argument(
        "--page", action="append", help="a page (relative to --html) instead of the default four"
    )
    args = parser.parse_args(argv)
    html_dir = args.html.resolve()
    if not (html_dir / "index.html").is_file():
        raise SystemExit(f"no built site in {html_dir}: run `make doc` first")
    chromium = find_chromium(args.chromium)
    if args.page:
        pages = [(Path(p).stem, html_dir / p) for p in args.page]
    else:
        pages = default_pages(html_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    lines, failed = [], False
    with tempfile.TemporaryDirectory() as profile:
        for name, page in pages:
            if not page.is_file():
                lines.append(f"{name}: {page} does not exist")
                failed = True
                continue
            shot = args.out / f"{name}.png"
            _chromium(chromium, profile, f"--screenshot={shot}", page.as_uri())
            problems, has_mathjax, has_math = static_checks(page)
            rendered, found = rendered_checks(chromium, profile, page)
            problems += rendered
            if has_math and found is not None and not found["mathjax"]:
                problems.append("MathJax did not load (formulas stay raw LaTeX)")
            if not shot.is_file():
                problems.append("no screenshot was written")
            rel = page.relative_to(html_dir)
            math = (
                "math rendered by MathJax"
                if has_math and not problems
                else ("no formulas" if not has_math else "math: see problems")
            )
            lines.append(f"{name}: {rel} -> {shot.name} ({math}); {len(problems)} problem(s)")
            lines += [f"   - {p}" for p in problems]
            failed |= bool(problems)
    report = "\n".join(lines) + "\n"
    (args.out / "report.txt").write_text(report, encoding="utf-8")
    print(report, end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
