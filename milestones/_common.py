"""What every milestone script shares: which package it runs, its command line, honest reporting, the plot.

Standard library only; matplotlib is imported only when ``--plot`` asks for a
picture. Not a milestone itself (the catalog reads only ``NN_name.py``).

Every script prints its target, what it measured and whether the target was
met, and exits 0 only if it was (1 if not, 2 if it could not run at all).
With ``--result-json FILE`` it also writes that verdict as JSON, which is how
``tito milestone run`` records it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]
EXIT_MET, EXIT_NOT_MET, EXIT_CANNOT_RUN = 0, 1, 2


def use_course_package() -> None:
    """Make ``import tinytorch`` load the package exported in this course folder (your own work)."""
    root = str(COURSE_ROOT)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)


def check_own_package(milestone: dict) -> None:
    """Exit with EXIT_CANNOT_RUN unless every loaded tinytorch module comes from this course's tinytorch/.

    An editable install (pip install -e) of *another* course folder lets Python
    fall back to that folder's files for a module missing here; a milestone
    must never measure someone else's code.
    """
    own = (COURSE_ROOT / "tinytorch").resolve()
    strays = sorted(
        f"{name} ({Path(module.__file__).resolve()})"
        for name, module in list(sys.modules.items())
        if (name == "tinytorch" or name.startswith("tinytorch."))
        and getattr(module, "__file__", None)
        and own not in Path(module.__file__).resolve().parents
    )
    if strays:
        needed = ", ".join(f"{n:02d}" for n in milestone["requires"])
        print(f"This milestone must run this course's own package, {own}, but these came from elsewhere:")
        print("".join(f"  {stray}\n" for stray in strays), end="")
        print(f"They are missing from {own}: complete and export modules {needed} here (tito module complete NN).")
        sys.exit(EXIT_CANNOT_RUN)


def cannot_import(milestone: dict, error: ImportError) -> None:
    """Explain a missing piece of tinytorch and exit with EXIT_CANNOT_RUN."""
    needed = ", ".join(f"{n:02d}" for n in milestone["requires"])
    print(f"This milestone needs modules {needed} exported into tinytorch/, but importing failed:")
    print(f"  {type(error).__name__}: {error}")
    print("Complete the missing module (tito module complete NN), then run the milestone again.")
    sys.exit(EXIT_CANNOT_RUN)


def parser(milestone: dict, doc: str | None, *, epochs: int, target: float) -> argparse.ArgumentParser:
    """The options every milestone takes; a script may add its own before parsing."""
    title = f"Milestone ({milestone['year']}): {milestone['title']}. Target: {milestone['target']}."
    p = argparse.ArgumentParser(description=title, epilog=(doc or "").strip().split("\n\n")[0])
    p.add_argument("--epochs", type=_positive_int, default=epochs, help=f"training budget (default {epochs})")
    p.add_argument("--target", type=_percent, default=target, help=f"accuracy to reach, in %% (default {target:g})")
    p.add_argument("--seed", type=int, default=0, help="seed for data order and initial weights (default 0)")
    p.add_argument("--plot", metavar="FILE.png", type=Path, help="save the training curve as a PNG (needs matplotlib)")
    p.add_argument("--result-json", metavar="FILE", type=Path, help="also write the result as JSON (tito uses this)")
    return p


def custom_settings(p: argparse.ArgumentParser, args: argparse.Namespace, budget: tuple[str, ...]) -> list[str]:
    """The options in ``budget`` (those that change what is measured) that differ from their defaults."""
    return [
        f"--{name.replace('_', '-')} {getattr(args, name)}"
        for name in budget
        if getattr(args, name) != p.get_default(name)
    ]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _percent(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage in [0, 100], got {value}")
    return value


def header(milestone: dict, slug: str) -> None:
    import tinytorch

    print(f"Milestone {slug} ({milestone['year']}): {milestone['title']}")
    print(f"Using tinytorch from {Path(tinytorch.__file__).resolve().parent}")
    print()


class Stopwatch:
    """Wall-clock seconds since creation (time.perf_counter)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start


def finish(
    args: argparse.Namespace,
    slug: str,
    *,
    target: str,
    summary: str,
    measured: dict,
    met: bool,
    custom: list[str],
    curves: dict[str, list[float]] | None = None,
) -> int:
    """Print target, measurement and verdict; write the plot and the JSON if asked; return the exit code."""
    print()
    print(f"target:   {target}")
    print(f"measured: {summary}")
    print(f"result:   {'TARGET MET' if met else 'TARGET NOT MET'}")
    if custom:
        print(f"          (custom settings: {' '.join(custom)}; this is not the milestone's official target)")
    if args.plot is not None and curves:
        save_plot(args.plot, curves, f"{slug}: {summary}")
    if args.result_json is not None:
        verdict = {
            "milestone": slug,
            "target": target,
            "summary": summary,
            "measured": measured,
            "target_met": met,
            "official": not custom,
            "custom_settings": custom,
        }
        args.result_json.write_text(json.dumps(verdict, indent=2) + "\n", encoding="utf-8")
    return EXIT_MET if met else EXIT_NOT_MET


def save_plot(path: Path, curves: dict[str, list[float]], title: str) -> None:
    """One panel per curve, against the epoch number."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"plot:     not written: matplotlib is not installed (pip install matplotlib) -> {path}")
        return
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 3.6), squeeze=False)
    for ax, (name, values) in zip(axes[0], curves.items(), strict=True):
        ax.plot(range(1, len(values) + 1), values, marker="o" if len(values) <= 30 else None)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"plot:     {path}")
