"""The catalog of every measurement, by id: the one list both runners draw from."""

from __future__ import annotations

from pytest_tinytorch.bench.base import Case, Settings
from pytest_tinytorch.bench.graphs import backward_cases
from pytest_tinytorch.bench.memory import memory_cases
from pytest_tinytorch.bench.ops import op_cases
from pytest_tinytorch.bench.steps import step_cases

KINDS = ("op", "backward", "step", "memory")  # also the order of the table's sections

# The regression check CI runs (tests/bench/test_regression_check.py): the
# cheap measurements, where the framework's own overhead shows (1x1 and
# 100x100 ops, graphs up to ~100 nodes, the MLP steps, memory), at fewer
# rounds. ~3-4 s here. The large sizes are left to `pytest benchmarks/`:
# they take longer and mostly measure NumPy itself.
QUICK_SETTINGS = Settings(rounds=21, block_s=0.001, torch=False, max_nodes=100)
QUICK_OP_SIZES = (1, 100)


def all_cases() -> list[Case]:
    return [*op_cases(), *backward_cases(), *step_cases(), *memory_cases()]


def by_id(ids: list[str] | tuple[str, ...]) -> list[Case]:
    """The cases with these ids, in the order given; KeyError naming the unknown ones."""
    known = {case.id: case for case in all_cases()}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KeyError(f"unknown benchmark case(s) {unknown}; known: {sorted(known)}")
    return [known[i] for i in ids]


def of_kind(kind: str) -> list[Case]:
    return [case for case in all_cases() if case.kind == kind]


def quick_cases() -> list[Case]:
    ops = [c for c in op_cases() if c.n in QUICK_OP_SIZES]
    steps = [c for c in step_cases() if c.model == "mlp"]
    memory = [c for c in memory_cases() if c.model == "mlp"]
    return [*ops, *backward_cases(), *steps, *memory]
