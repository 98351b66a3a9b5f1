"""yusuan's parse against the pdfminer floor on the same pages, one process, interleaved rounds.

    .venv/bin/python bench/parse_floor.py [--pdfs ../shared/real/pdf] [--pages 400] [--rounds 4]
                                          [--against OTHER_CHECKOUT]

The sample is ``bench/throughput.py``'s floor sample (whole files in a fixed shuffled order until
``--pages``). Each round runs, each in a fresh child process and back to back: yusuan's
``extract_document`` over the sample, the same in ``--against`` (another checkout: a worktree of
the code before a change), and pdfminer's ``extract_pages`` with its layout analysis (the floor).
This VM's speed drifts by up to 40 % within an hour, so only figures from the same round compare;
the CPU seconds a page of each are printed per round and as means. docs/performance.md records
them by hand (session 21: the lean character dicts and cell texts).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from statistics import mean

from throughput import floor_pool, page_count

REPO = Path(__file__).resolve().parent.parent

# Run in a child: the code to time is imported from the checkout named first on its path; the
# sample's files come on stdin, one a line.
_CHILD = """
import sys, time
from pathlib import Path
checkout, what = sys.argv[1:3]
sys.path.insert(0, checkout)
sample = [Path(line) for line in sys.stdin.read().splitlines()]
if what == "floor":
    from pdfminer.high_level import extract_pages
    def parse(path):
        try:
            sum(1 for _ in extract_pages(path))
        except Exception:
            pass
else:
    from yusuan.extract.document import extract_document
    import yusuan.extract.document as module
    assert module.__file__.startswith(checkout), module.__file__
    def parse(path):
        extract_document(path, "bench")
started = time.process_time()
for path in sample:
    parse(path)
print(time.process_time() - started)
"""


def floor_sample(pdfs: Path, pages_wanted: int) -> tuple[list[Path], int]:
    """bench/throughput.py's floor files, whole, until they hold ``pages_wanted`` pages."""
    sample, pages = [], 0
    for path in floor_pool(sorted(pdfs.rglob("*.pdf"))):
        sample.append(path)
        pages += page_count(path)
        if pages >= pages_wanted:
            break
    return sample, pages


def cpu_ms_per_page(checkout: Path, sample: list[Path], pages: int, what: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(checkout), what],
        input="\n".join(map(str, sample)),
        check=True,
        capture_output=True,
        text=True,
        cwd=checkout,
    ).stdout
    return 1000 * float(out) / pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pdfs", type=Path, default=REPO.parent / "shared" / "real" / "pdf")
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--against", type=Path, default=None, help="another checkout of yusuan to time beside this one")
    args = parser.parse_args()
    sample, pages = floor_sample(args.pdfs, args.pages)
    runs = [("yusuan", REPO, "yusuan")]
    if args.against:
        runs.append((f"yusuan at {args.against}", args.against.resolve(), "yusuan"))
    runs.append(("pdfminer floor", REPO, "floor"))
    figures: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    for round_no in range(1, args.rounds + 1):
        for name, checkout, what in runs:
            ms = cpu_ms_per_page(checkout, sample, pages, what)
            figures[name].append(ms)
            print(f"round {round_no}: {name}: {ms:.1f} ms a page ({pages} pages)", flush=True)
    floor = mean(figures["pdfminer floor"])
    for name, values in figures.items():
        print(f"{name}: mean {mean(values):.1f} ms a page, {mean(values) / floor:.3f} × the floor's time")


if __name__ == "__main__":
    main()
