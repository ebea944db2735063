"""In-worker defences against a submission that tries to fool its tests.

Everything here is set up in the fork server *before* any student code exists
(:func:`prepare_trusted_process`), so the functions below hold the genuine
builtins, ``numpy`` and ``math`` in their closures.  Then, in each worker:

- **Trusted checks.**  The instructor's cells are compiled with their
  ``assert`` statements rewritten (:func:`trust_asserts`): every comparison or
  truth test that decides an assert goes through :func:`make_helpers`, which
  accepts only plain values (numbers, strings, ``None``, tuples / lists /
  dicts of those, NumPy arrays and scalars).  An object with its own
  ``__eq__`` / ``__bool__`` cannot decide a grade: the check fails with
  reason ``untrusted-value``.  ``isinstance`` in those cells uses the real
  type, so a ``__class__`` property cannot fake it.
- **Trusted NumPy comparisons.**  ``np.allclose``, ``np.testing.assert_*`` and
  friends are wrapped (:func:`install_trusted_numpy`) to coerce their
  arguments to base ``ndarray`` first: an ``ndarray`` subclass that overrides
  ``__eq__`` or ``__array_ufunc__`` is compared as plain numbers.
- **Protected names.**  :class:`Baseline` records every function, class and
  module in ``builtins``, ``math``, ``operator``, ``numpy.*`` and the harness
  itself.  Before each test anything replaced is put back (flag
  ``replaced-function``); a replacement made *during* a test fails that test
  (reason ``tampered``).  The names the tests use in the notebook's namespace
  get the same treatment (``shadowed-name``, ``test-rebound``).
- **Audit hook** (:func:`install_audit_hook`, cannot be removed once added):
  refuses and reports writes outside the worker's folder, process creation,
  network use, tracing hooks and ``gc`` introspection of the harness.
"""

from __future__ import annotations

import ast
import builtins
import collections
import functools
import operator
import os
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

HELPERS = ("__tt_cmp__", "__tt_truth__", "__tt_all__", "__tt_any__", "__tt_isinstance__")
# Modules whose functions decide comparisons.  Not ``warnings`` or ``sys``: replacing
# ``warnings.showwarning`` or ``sys.stdout`` is something honest code does.
# ``json``, ``hmac``, ``ast``, ``signal``: the harness itself parses, signs and times with them.
PROTECTED_MODULES = (
    "builtins",
    "math",
    "operator",
    "functools",
    "itertools",
    "numbers",
    "copy",
    "ast",
    "json",
    "json.encoder",
    "json.decoder",
    "hmac",
    "hashlib",
    "signal",
)
PROTECTED_PREFIXES = ("pytest_tinytorch",)
# NumPy: its public modules (what tests reach as np.x, np.testing.x, np.random.x) and the
# private modules its comparison functions look their helpers up in.  Not all 89 of its
# modules: checking every one before and after each test would cost more than the test.
NUMPY_INTERNALS = (
    "numpy.testing._private.utils",
    "numpy._core.numeric",
    "numpy._core.fromnumeric",
    "numpy._core._methods",
    "numpy._core.multiarray",
    "numpy._core.umath",
    "numpy.random._pickle",
)
_MISSING = object()


class UntrustedValue(AssertionError):
    """A graded check was asked to trust an object that decides its own equality or truth."""

    reason = "untrusted-value"


# Shown to students as plain "UntrustedValue: ...", like a builtin exception.
UntrustedValue.__module__ = "builtins"


# --- plain values -------------------------------------------------------------


def _numpy_plain_types() -> tuple[frozenset[type], frozenset[type]]:
    """NumPy's own scalar and dtype classes (a subclass made elsewhere is not NumPy's)."""
    import numpy as np

    def subclasses(cls: type) -> set[type]:
        found: set[type] = {cls}
        children: list[type] = type.__subclasses__(cls)
        for child in children:
            found |= subclasses(child)
        return found

    scalars = {t for t in subclasses(np.generic) if t.__module__.startswith("numpy")}
    dtypes = {t for t in subclasses(np.dtype) if t.__module__.startswith("numpy")}
    return frozenset(scalars), frozenset(dtypes)


def make_is_plain() -> Callable[[Any], bool]:
    """A closure deciding "is this a value whose comparison we can trust?" with captured originals."""
    import numpy as np

    exact_type, len_ = type, len
    scalars = (
        frozenset({bool, int, float, complex, str, bytes, type(None), type(Ellipsis), range, slice}) | _stdlib_values()
    )
    np_scalars, np_dtypes = _numpy_plain_types()
    ndarray, object_kind = np.ndarray, "O"
    sequences = frozenset({tuple, list, set, frozenset, collections.deque})
    mappings = frozenset({dict, collections.OrderedDict, collections.defaultdict, collections.Counter})
    max_items = 2_000_000

    def is_plain(value: Any, depth: int = 0) -> bool:
        kind = exact_type(value)
        if kind in scalars or kind in np_scalars or kind in np_dtypes:
            return True
        if kind is type:  # a class with the default metaclass: == is identity
            return True
        if depth > 32:
            return False
        if kind in sequences:
            return len_(value) <= max_items and all(is_plain(item, depth + 1) for item in value)
        if kind in mappings:
            return all(is_plain(k, depth + 1) and is_plain(v, depth + 1) for k, v in value.items())
        if kind is ndarray:
            if value.dtype.kind != object_kind:
                return True
            return value.size <= max_items and all(is_plain(item, depth + 1) for item in value.flat)
        return False

    return is_plain


def _stdlib_values() -> frozenset[type]:
    """Standard-library value types whose == the submission cannot change (paths, dates, exact numbers)."""
    import datetime
    import decimal
    import fractions
    import pathlib
    import uuid

    paths = {t for t in vars(pathlib).values() if isinstance(t, type) and issubclass(t, pathlib.PurePath)}
    dates = {datetime.date, datetime.datetime, datetime.time, datetime.timedelta, datetime.timezone}
    return frozenset(paths | dates | {decimal.Decimal, fractions.Fraction, uuid.UUID})


def describe_type(value: Any) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "?")
    return kind.__qualname__ if module == "builtins" else f"{kind.__qualname__} (from {module})"


def safe_repr(value: Any, limit: int = 200) -> str:
    try:
        text = repr(value)
    except BaseException as error:  # a student's __repr__ may raise anything
        text = f"<{type(value).__name__} whose repr() raised {type(error).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- helpers the rewritten asserts call -------------------------------------------


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: operator.contains(b, a),
    "not in": lambda a, b: not operator.contains(b, a),
}


def make_helpers(is_plain: Callable[[Any], bool]) -> tuple[dict[str, Callable[..., Any]], dict[str, Any]]:
    """The functions rewritten asserts call, and a state dict holding the last failed comparison."""
    truth_of, issubclass_, type_ = bool, issubclass, type
    operators = dict(_OPERATORS)
    state: dict[str, Any] = {"last": None}

    def untrusted(value: Any, role: str) -> UntrustedValue:
        return UntrustedValue(
            f"a graded check {role} a {describe_type(value)} object ({safe_repr(value, 80)}); only plain values "
            "(numbers, strings, None, tuples/lists/dicts of those, NumPy arrays and scalars) can decide a grade, "
            "because any other object decides its own == and truth. Return a plain value (e.g. .data, .item())."
        )

    def equal(a: Any, b: Any, depth: int = 0) -> bool:
        """``a == b`` decided without calling the submission's ``__eq__``.

        Plain values compare as usual; the same object equals itself (as
        Python's list comparison assumes); lists, tuples and dicts compare item
        by item.  Two different objects that are not plain cannot be decided.
        """
        __tracebackhide__ = True
        if a is b:
            return True
        if is_plain(a) and is_plain(b):
            return truth_of(operators["=="](a, b))
        kind = type_(a)
        if depth < 32 and kind is type_(b) and kind in (list, tuple):
            return len(a) == len(b) and all(equal(x, y, depth + 1) for x, y in zip(a, b, strict=True))
        if depth < 32 and kind is type_(b) is dict and is_plain(list(a)) and is_plain(list(b)):
            return a.keys() == b.keys() and all(equal(a[key], b[key], depth + 1) for key in a)
        raise untrusted(a if not is_plain(a) else b, "compared (==)")

    def contains(item: Any, container: Any) -> bool:
        __tracebackhide__ = True
        if is_plain(item) and is_plain(container):
            return truth_of(operators["in"](item, container))
        if type_(container) in (list, tuple, set, frozenset):  # identity first, as Python's `in` does
            return any(item is element for element in container) or any(equal(item, element) for element in container)
        raise untrusted(container if not is_plain(container) else item, "looked for an item in")

    def decide(a: Any, op: str, b: Any) -> bool:
        __tracebackhide__ = True
        if op == "is":
            return a is b
        if op == "is not":
            return a is not b
        if op in ("==", "!="):
            return equal(a, b) == (op == "==")
        if op in ("in", "not in"):
            return contains(a, b) == (op == "in")
        for value in (a, b):
            if not is_plain(value):
                raise untrusted(value, f"compared ({op})")
        return truth_of(operators[op](a, b))

    def compare(left: Any, ops: tuple[str, ...], rights: list[Any]) -> bool:
        __tracebackhide__ = True  # failure reports start at the test's line, not here
        values = [left, *rights]
        for i, op in enumerate(ops):
            a, b = values[i], values[i + 1]
            result = decide(a, op, b)
            if not result:
                state["last"] = (a, op, b)
                return False
        return True

    def truth(value: Any) -> bool:
        __tracebackhide__ = True
        if not is_plain(value):
            raise untrusted(value, "asserted the truth of")
        return truth_of(value)

    def all_(items: Iterable[Any]) -> bool:
        __tracebackhide__ = True
        return all(truth(item) for item in items)

    def any_(items: Iterable[Any]) -> bool:
        __tracebackhide__ = True
        return any(truth(item) for item in items)

    def isinstance_(obj: Any, classinfo: Any) -> bool:
        return issubclass_(type_(obj), classinfo)  # the real type: a __class__ property cannot fake it

    helpers: dict[str, Callable[..., Any]] = {
        "__tt_cmp__": compare,
        "__tt_truth__": truth,
        "__tt_all__": all_,
        "__tt_any__": any_,
        "__tt_isinstance__": isinstance_,
    }
    return helpers, state


# --- rewriting the instructor's asserts ----------------------------------------------

_OP_NAMES = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


class _TrustAsserts(ast.NodeTransformer):
    def visit_Assert(self, node: ast.Assert) -> ast.Assert:
        self.generic_visit(node)
        node.test = self._truth(node.test)
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            node.func = ast.copy_location(ast.Name("__tt_isinstance__", ast.Load()), node.func)
        return node

    def _truth(self, expr: ast.expr) -> ast.expr:
        if isinstance(expr, ast.BoolOp):
            return ast.copy_location(ast.BoolOp(expr.op, [self._truth(v) for v in expr.values]), expr)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            return ast.copy_location(ast.UnaryOp(ast.Not(), self._truth(expr.operand)), expr)
        if isinstance(expr, ast.Compare):
            ops = ast.Tuple([ast.Constant(_OP_NAMES[type(op)]) for op in expr.ops], ast.Load())
            return self._call("__tt_cmp__", [expr.left, ops, ast.List(expr.comparators, ast.Load())], expr)
        if self._is_all_any(expr):
            assert isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name)
            gen = expr.args[0]
            assert isinstance(gen, (ast.GeneratorExp, ast.ListComp, ast.SetComp))
            trusted = ast.GeneratorExp(self._truth(gen.elt), gen.generators)
            return self._call(f"__tt_{expr.func.id}__", [ast.copy_location(trusted, gen)], expr)
        return self._call("__tt_truth__", [expr], expr)

    @staticmethod
    def _is_all_any(expr: ast.expr) -> bool:
        return (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Name)
            and expr.func.id in ("all", "any")
            and len(expr.args) == 1
            and not expr.keywords
            and isinstance(expr.args[0], (ast.GeneratorExp, ast.ListComp, ast.SetComp))
        )

    @staticmethod
    def _call(name: str, args: list[ast.expr], where: ast.expr) -> ast.expr:
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), args, []), where)


def trust_asserts(tree: ast.Module) -> ast.Module:
    """Route every assert's decision (and every ``isinstance``) through the trusted helpers."""
    tree = _TrustAsserts().visit(tree)
    return ast.fix_missing_locations(tree)


# --- trusted NumPy comparisons ---------------------------------------------------------

NUMPY_COMPARISONS = ("allclose", "isclose", "array_equal", "array_equiv")
TESTING_COMPARISONS = (
    "assert_allclose",
    "assert_array_equal",
    "assert_array_almost_equal",
    "assert_almost_equal",
    "assert_equal",
    "assert_array_less",
    "assert_approx_equal",
    "assert_array_almost_equal_nulp",
)


def install_trusted_numpy(is_plain: Callable[[Any], bool]) -> None:
    """Wrap NumPy's comparison functions so their arguments are plain numbers before comparing."""
    import numpy as np
    import numpy.testing as npt

    coerce = _make_coerce(is_plain)
    for namespace, names in ((np, NUMPY_COMPARISONS), (npt, TESTING_COMPARISONS)):
        for name in names:
            original = getattr(namespace, name, None)
            if original is not None and not getattr(original, "__tinytorch_trusted__", False):
                setattr(namespace, name, _wrap_comparison(original, coerce))


def _make_coerce(is_plain: Callable[[Any], bool]) -> Callable[[Any], Any]:
    import numpy as np

    asarray, ndarray, type_ = np.asarray, np.ndarray, type

    def coerce(value: Any) -> Any:
        __tracebackhide__ = True
        if is_plain(value):
            return value
        kind = type_(value)
        if kind is tuple or kind is list:
            return kind(coerce(item) for item in value)
        if kind is dict:
            return {key: coerce(item) for key, item in value.items()}
        array = asarray(value)  # ndarray subclasses become base ndarrays; duck arrays go through __array__
        if type_(array) is not ndarray or not is_plain(array):
            raise UntrustedValue(
                f"a NumPy comparison was given a {describe_type(value)} that is not numbers "
                f"({safe_repr(value, 80)}); compare arrays or Python numbers."
            )
        return array

    return coerce


def _wrap_comparison(original: Callable[..., Any], coerce: Callable[[Any], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def trusted(actual: Any, desired: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        return original(coerce(actual), coerce(desired), *args, **kwargs)

    trusted.__tinytorch_trusted__ = True  # type: ignore[attr-defined]
    return trusted


# --- protected modules -------------------------------------------------------------------


class Baseline:
    """The genuine functions, classes and modules of the protected modules, taken before student code.

    For each protected module: every function, class and module in its
    namespace, and the methods of the classes it defines in Python (a class
    attribute such as ``json.JSONEncoder.encode`` can be replaced too).
    """

    def __init__(self, entries: list[tuple[str, Any, tuple[tuple[str, Any], ...]]], modules: dict[str, Any]):
        self.entries = entries  # (label, namespace dict or class, ((attr, original), ...))
        self.modules = modules  # module name -> the genuine module object

    @classmethod
    def capture(cls) -> Baseline:
        entries: list[tuple[str, Any, tuple[tuple[str, Any], ...]]] = []
        modules: dict[str, Any] = {}
        for name, module in sorted(sys.modules.items()):
            if not isinstance(module, types.ModuleType):
                continue
            modules[name] = module
            if _is_protected_module(name):
                namespace = vars(module)
                entries.append((name, namespace, _protectable(namespace)))
                if not name.startswith("numpy"):  # NumPy's Python classes are not what tests compare with
                    entries += [
                        (f"{name}.{klass.__name__}", klass, _protectable(vars(klass)))
                        for klass in _own_python_classes(module)
                    ]
        return cls(entries, modules)

    def make_restorer(self, core_only: bool = False) -> Callable[[], list[str]]:
        """A closure that puts back every replaced entry and names it.

        ``core_only``: just what the harness itself needs to send a record
        (builtins, json, hmac): cheap enough to run after every cell.  The
        common case, nothing replaced, is checked in C (``itemgetter`` and
        ``map(is_not)``), so a full check of ~3,000 entries costs ~0.05 ms.
        """
        checks = []
        for label, owner, items in self.entries:
            if items and (not core_only or _is_core(label)):
                keys = tuple(attr for attr, _ in items)
                originals = tuple(value for _, value in items)
                namespace = owner if type(owner) is dict else owner.__dict__  # a live view for classes
                checks.append((label, owner, namespace, operator.itemgetter(*keys), keys, originals))
        missing, any_, map_, is_not, setattr_, dict_, type_ = _MISSING, any, map, operator.is_not, setattr, dict, type

        def restore() -> list[str]:
            replaced: list[str] = []
            for label, owner, namespace, getter, keys, originals in checks:
                try:
                    current = getter(namespace)
                    if not any_(map_(is_not, current if len(keys) > 1 else (current,), originals)):
                        continue
                except KeyError:  # something was deleted: the slow path below finds it
                    pass
                for attr, original in zip(keys, originals, strict=True):
                    if namespace.get(attr, missing) is not original:
                        if type_(owner) is dict_:
                            owner[attr] = original
                        else:
                            setattr_(owner, attr, original)
                        replaced.append(f"{label}.{attr}")
            return replaced

        return restore


def _is_core(label: str) -> bool:
    return (
        label.split(".")[0] in ("builtins", "json", "hmac", "hashlib") or label == "pytest_tinytorch.grading.protocol"
    )


def _is_protected_module(name: str) -> bool:
    if name in PROTECTED_MODULES or name in NUMPY_INTERNALS or name.split(".")[0] in PROTECTED_PREFIXES:
        return True
    parts = name.split(".")
    return parts[0] == "numpy" and not any(part.startswith("_") for part in parts)


def _protectable(namespace: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((attr, value) for attr, value in namespace.items() if _worth_protecting(value))


def _own_python_classes(module: types.ModuleType) -> list[type]:
    """Classes written in Python and defined in ``module`` (their attributes can be reassigned)."""
    found = []
    for value in vars(module).values():
        if isinstance(value, type) and value.__module__ == module.__name__ and value.__flags__ & (1 << 9):  # heap type
            found.append(value)
    return found


def _worth_protecting(value: Any) -> bool:
    if isinstance(value, (staticmethod, classmethod, property)):
        return True
    return isinstance(value, (types.ModuleType, type)) or (callable(value) and not isinstance(value, (int, str)))


# --- the notebook's own namespace ----------------------------------------------------------


class NamespaceGuard:
    """Keeps the names the instructor's cells bound, and the builtins/modules they use, genuine."""

    def __init__(
        self,
        namespace: dict[str, Any],
        baseline: Baseline,
        imports: dict[str, str],
        reference_names: frozenset[str],
        used_names: frozenset[str],
    ) -> None:
        self.namespace = namespace
        self.builtins = vars(builtins)
        self.modules = baseline.modules
        self.imports = imports  # name -> module, as the instructor's copy imports it
        self.reference_names = reference_names  # everything the instructor's copy binds at top level
        self.used_names = used_names  # names the instructor's cells read
        self.bound: dict[str, tuple[Any, Any, Any]] = {}  # name -> (object, __code__, __defaults__)

    def capture(self, names: Iterable[str]) -> None:
        """Remember what an instructor cell just bound (functions and modules)."""
        for name in names:
            value = self.namespace.get(name, _MISSING)
            if isinstance(value, types.FunctionType):
                self.bound[name] = (value, value.__code__, value.__defaults__)
            elif isinstance(value, types.ModuleType) or name in HELPERS:
                self.bound[name] = (value, None, None)

    def is_protected_function(self, value: Any) -> bool:
        return any(value is entry[0] for entry in self.bound.values())

    def restore(self) -> list[tuple[str, str]]:
        """Put back anything changed; returns (flag kind, detail) for each change."""
        found: list[tuple[str, str]] = []
        found += self._restore_bound()
        found += self._restore_modules()
        found += self._unshadow_builtins()
        return found

    def _restore_bound(self) -> list[tuple[str, str]]:
        found = []
        for name, (value, code, defaults) in self.bound.items():
            current = self.namespace.get(name, _MISSING)
            kind = "test-rebound" if name.startswith("test") else "shadowed-name"
            if current is not value:
                self.namespace[name] = value
                found.append((kind, f"{name} was redefined or deleted"))
            if code is not None and (value.__code__ is not code or value.__defaults__ is not defaults):
                value.__code__, value.__defaults__ = code, defaults
                found.append((kind, f"{name}.__code__ was replaced"))
        return found

    def _restore_modules(self) -> list[tuple[str, str]]:
        found = []
        for name, module_name in self.imports.items():
            genuine = self.modules.get(module_name)
            current = self.namespace.get(name, _MISSING)
            # A missing import is an honest mistake (NameError), not a replacement.
            if genuine is None or name not in self.used_names or current is _MISSING:
                continue
            if current is not genuine:
                self.namespace[name] = genuine
                found.append(("shadowed-name", f"{name} is not the real {module_name} module"))
        return found

    def _unshadow_builtins(self) -> list[tuple[str, str]]:
        found = []
        for name in self.used_names:
            if name.startswith("__"):
                continue  # a module's own __name__, __doc__, ...: not the builtins module's
            if name in self.builtins and name in self.namespace and name not in self.reference_names:
                del self.namespace[name]
                found.append(("shadowed-name", f"{name} hides the builtin {name}()"))
        return found


# --- the audit hook ------------------------------------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {  # event -> indexes of the path arguments that get changed
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
    "shutil.move": (0, 1),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
}
_PROCESS_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "os.startfile",
        "pty.spawn",
    }
)
_NETWORK_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"})
_INTROSPECTION_EVENTS = frozenset(
    {"sys.settrace", "sys.setprofile", "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames"}
)
_CODE_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})


def install_audit_hook(
    workdir: str, report: Callable[[str, str], None], is_protected_function: Callable[[Any], bool]
) -> None:
    """Refuse (and report) what a submission has no business doing while it is graded."""
    realpath, fspath, sep = os.path.realpath, os.fsdecode, os.sep
    home = realpath(workdir)
    watched = (
        frozenset(_PATH_EVENTS)
        | _PROCESS_EVENTS
        | _NETWORK_EVENTS
        | _INTROSPECTION_EVENTS
        | {"open", "object.__setattr__"}
    )
    busy = [False]

    def outside(path: Any) -> bool:
        if isinstance(path, int) or path is None:
            return False  # an fd the process already holds
        full = realpath(fspath(path))
        return not (full == home or full.startswith(home + sep) or full == "/dev/null")

    def refuse(kind: str, detail: str, error: type[BaseException] = PermissionError) -> None:
        report(kind, detail)
        raise error(f"not allowed while grading: {detail}")

    def on_open(args: tuple[Any, ...]) -> None:
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
        if writes and outside(path):
            refuse("write-outside", f"open({fspath(path)!r}) for writing, outside the submission's folder")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in watched or busy[0]:
            return
        busy[0] = True
        try:
            if event == "open":
                on_open(args)
            elif event in _PATH_EVENTS:
                for index in _PATH_EVENTS[event]:
                    if index < len(args) and outside(args[index]):
                        refuse("write-outside", f"{event}({fspath(args[index])!r}) outside the submission's folder")
            elif event in _PROCESS_EVENTS:
                refuse("subprocess", f"{event}: starting processes")
            elif event in _NETWORK_EVENTS:
                refuse("network", f"{event}: network access")
            elif event in _INTROSPECTION_EVENTS:
                refuse("introspection", f"{event}", RuntimeError)
            elif args[1] in _CODE_ATTRIBUTES and is_protected_function(args[0]):
                refuse(
                    "test-rebound",
                    f"setting {args[1]} of the instructor's function {getattr(args[0], '__name__', '?')}",
                    RuntimeError,
                )
        finally:
            busy[0] = False

    sys.addaudithook(hook)


def prepare_trusted_process() -> tuple[Callable[[Any], bool], Baseline]:
    """Run once in the fork server: wrap NumPy's comparisons, then record the baseline."""
    import numpy.random  # noqa: F401  (imported lazily by NumPy; tests use it, so it is protected)
    import numpy.testing  # noqa: F401  (its functions are part of the baseline)

    is_plain = make_is_plain()
    install_trusted_numpy(is_plain)
    return is_plain, Baseline.capture()
