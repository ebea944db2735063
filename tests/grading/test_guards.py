"""The in-worker defences, exercised in this process on small pieces of code.

Nothing here installs the audit hook (that cannot be undone in a process);
the corpus covers it through real workers.
"""

from __future__ import annotations

import ast
import builtins
import json
import math
import pathlib
import types
from typing import Any

import numpy as np
import pytest

from pytest_tinytorch.grading import guards


@pytest.fixture(scope="module")
def is_plain():
    return guards.make_is_plain()


class Liar:
    def __eq__(self, other: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True

    __hash__ = object.__hash__


class LyingArray(np.ndarray):
    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return np.ones(self.shape, bool)


def run(source: str, is_plain, **names: Any) -> dict[str, Any]:
    """Compile ``source`` as an instructor cell (asserts rewritten) and run it."""
    helpers, state = guards.make_helpers(is_plain)
    namespace = {**helpers, **names}
    tree = guards.trust_asserts(ast.parse(source))
    exec(compile(tree, "<instructor cell>", "exec"), namespace)
    namespace["__state__"] = state
    return namespace


@pytest.mark.parametrize(
    "value",
    [
        1,
        2.5,
        True,
        None,
        "s",
        b"b",
        1j,
        (1, [2.0, {"a": None}]),
        {1, 2},
        np.float32(1),
        np.arange(3),
        np.dtype("float32"),
        np.float32,
        pathlib.Path("x"),
        np.array([1, None]),
    ],
)
def test_plain_values_are_trusted(is_plain, value):
    assert is_plain(value)


@pytest.mark.parametrize(
    "value",
    [
        Liar(),
        [1, Liar()],
        {"k": Liar()},
        np.arange(3).view(LyingArray),
        np.array([Liar()], dtype=object),
        type("MyInt", (int,), {})(3),
        lambda: 1,
    ],
)
def test_objects_that_decide_their_own_equality_are_not(is_plain, value):
    assert not is_plain(value)


def test_a_passing_plain_comparison_passes(is_plain):
    run("assert 1 + 1 == 2 and [1, 2] == [1, 2] and 'a' in 'abc' and 0 < 1 < 2", is_plain)


def test_a_failing_comparison_is_recorded_for_the_message(is_plain):
    with pytest.raises(AssertionError) as caught:
        run("assert 3 == 4", is_plain)
    assert not isinstance(caught.value, guards.UntrustedValue)


@pytest.mark.parametrize(
    "check",
    [
        "assert liar == 4",
        "assert liar",
        "assert not not liar",
        "assert 4 == liar",
        "assert all(x == 1 for x in [liar])",
        "assert [liar] == [Liar()]",
        "assert lying_array == 1",
        "assert 1 < liar",
    ],
)
def test_a_lying_object_cannot_decide_an_assert(is_plain, check):
    with pytest.raises(guards.UntrustedValue, match="decides its own"):
        run(check, is_plain, liar=Liar(), Liar=Liar, lying_array=np.arange(3).view(LyingArray))


def test_the_same_object_equals_itself_inside_lists(is_plain):
    a, b = Liar(), Liar()
    run("assert [a, b] == [a, b] and a in [b, a] and (a,) != (a, a)", is_plain, a=a, b=b)


def test_isinstance_in_instructor_code_sees_the_real_type(is_plain):
    class Impostor:
        __class__ = int  # type: ignore[assignment]

    assert isinstance(Impostor(), int)  # what an ordinary isinstance says
    with pytest.raises(AssertionError):
        run("assert isinstance(obj, int)", is_plain, obj=Impostor())


def test_the_last_failed_comparison_is_kept_for_the_report(is_plain):
    with pytest.raises(AssertionError):
        run("assert 1 == 1 and 6 == 4", is_plain)
    helpers, state = guards.make_helpers(is_plain)
    with pytest.raises(AssertionError):
        exec(compile(guards.trust_asserts(ast.parse("assert 6 == 4")), "<c>", "exec"), dict(helpers))
    assert state["last"] == (6, "==", 4)


@pytest.fixture
def trusted_numpy(monkeypatch, is_plain):
    """NumPy's comparisons wrapped as in a worker, and put back afterwards."""
    import numpy.testing as npt

    for namespace, names in ((np, guards.NUMPY_COMPARISONS), (npt, guards.TESTING_COMPARISONS)):
        for name in names:
            if hasattr(namespace, name):
                monkeypatch.setattr(namespace, name, getattr(namespace, name))
    guards.install_trusted_numpy(is_plain)


def test_numpy_comparisons_see_the_numbers_inside_an_ndarray_subclass(trusted_numpy):
    three = (np.arange(3.0) * 3).view(LyingArray)
    assert (three == [0, 2, 4]).all()  # the subclass lies to ==
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(three, [0, 2, 4])
    assert not np.array_equal(three, [0, 2, 4])


def test_numpy_comparisons_refuse_objects_that_are_not_numbers(trusted_numpy):
    with pytest.raises(guards.UntrustedValue):
        np.testing.assert_allclose(Liar(), 1.0)


def test_numpy_comparisons_still_accept_array_likes(trusted_numpy):
    class Tensorish:
        def __array__(self, dtype=None, copy=None):
            return np.array([1.0, 2.0])

    np.testing.assert_allclose(Tensorish(), [1.0, 2.0])
    assert np.allclose([1.0, 2.0], (1.0, 2.0))


def test_the_baseline_restores_replaced_functions_and_class_methods(monkeypatch):
    baseline = guards.Baseline.capture()
    restore = baseline.make_restorer()
    assert restore() == []
    original_isclose, original_encode = math.isclose, json.JSONEncoder.encode
    monkeypatch.setattr(math, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(json.JSONEncoder, "encode", lambda self, o: "{}")
    monkeypatch.delattr(builtins, "abs")
    replaced = restore()
    assert sorted(replaced) == ["builtins.abs", "json.encoder.JSONEncoder.encode", "math.isclose"]
    assert math.isclose is original_isclose and json.JSONEncoder.encode is original_encode and builtins.abs


def test_the_core_restorer_covers_only_what_the_harness_needs(monkeypatch):
    core = guards.Baseline.capture().make_restorer(core_only=True)
    monkeypatch.setattr(math, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(json, "dumps", lambda *a, **k: "{}")
    assert core() == ["json.dumps"]


def test_the_namespace_guard_undoes_what_a_submission_did_to_the_notebooks_names():
    namespace: dict[str, Any] = {"np": np, "math": math}
    guard = guards.NamespaceGuard(
        namespace,
        guards.Baseline.capture(),
        {"np": "numpy", "math": "math"},
        reference_names=frozenset({"np", "math", "helper"}),
        used_names=frozenset({"np", "math", "helper", "len", "__name__"}),
    )

    def helper():
        return 1

    namespace["helper"] = helper
    guard.capture(["helper"])
    namespace.update(np=types.SimpleNamespace(), len=lambda x: 0, __name__="mine")
    helper.__code__ = (lambda: 2).__code__
    del namespace["math"]  # a missing import stays missing: that is an honest NameError
    found = sorted(kind for kind, _ in guard.restore())
    assert found == ["shadowed-name", "shadowed-name", "shadowed-name"]
    assert namespace["np"] is np and "len" not in namespace and namespace["helper"]() == 1
    assert "math" not in namespace and namespace["__name__"] == "mine"
