"""Read what ``hyperpilot run`` is given: a Python file or a YAML file describing a study.

A **Python file** defines at module level ``objective`` (a callable) and ``space`` (an
``hp.Space`` or a mapping of names to hyperparameters), and optionally ``objectives``,
``constraints``, ``optimizer``, ``n_trials``, ``name``, ``seed``, ``storage``, ``fidelity``
(an ``hp.Fidelity`` or a mapping with ``name``, ``min``, ``max`` and ``log``) and
``max_budget`` (the budget a run may spend, see ``Study.optimize``), ``instances`` (a list
of names, or names mapped to feature lists) and ``seeds`` (a count or a list), as
``create_study`` takes them.

A **YAML file** holds the keys in :data:`YAML_KEYS`. ``objective`` (and ``space``, when it
is not written out) is a reference ``path/to/file.py:name`` (relative to the YAML file) or
``package.module:name``. A written-out ``space`` uses the format of
:meth:`hyperpilot.Space.from_json`.

Every mistake raises :class:`~hyperpilot.cli._common.UsageError` with one line that names
the file and the key at fault.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import reprlib
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hyperpilot.cli._common import CommandError, UsageError, one_line
from hyperpilot.exceptions import HyperpilotError
from hyperpilot.optimizers._base import Optimizer
from hyperpilot.optimizers._registry import make_optimizer
from hyperpilot.space._fidelity import Fidelity
from hyperpilot.space._instances import Instances
from hyperpilot.space._params import Hyperparameter
from hyperpilot.space._space import Space
from hyperpilot.trial._objectives import (
    Constraint,
    Objective,
    parse_constraints,
    parse_objectives,
)

YAML_KEYS: tuple[str, ...] = (
    "name", "objective", "space", "objectives", "constraints", "optimizer", "trials",
    "timeout", "trial_timeout", "storage", "seed", "fidelity", "max_budget", "instances",
    "seeds",
)
"""The keys a YAML run file may hold."""

PYTHON_SETTINGS: tuple[str, ...] = (
    "objectives", "constraints", "optimizer", "n_trials", "name", "seed", "storage",
    "fidelity", "max_budget", "instances", "seeds",
)
"""Optional module-level settings of a Python run file (besides ``objective``, ``space``)."""


@dataclass(frozen=True)
class RunSpec:
    """A study as a run file describes it; ``None`` where the file says nothing.

    ``paths`` are the directories that must be on ``sys.path`` while the objective runs.
    """

    source: Path
    objective: Callable[..., Any]
    space: Space
    objectives: tuple[Objective, ...] | None = None
    constraints: tuple[Constraint, ...] | None = None
    optimizer: Optimizer | None = None
    trials: int | None = None
    timeout: float | None = None
    trial_timeout: float | None = None
    name: str | None = None
    seed: int | None = None
    storage: str | None = None
    fidelity: Fidelity | None = None
    max_budget: float | None = None
    instances: Instances | None = None
    paths: tuple[Path, ...] = ()

    def instance_args(self) -> dict[str, Any]:
        """``create_study``'s ``instances`` and ``seeds`` arguments for what the file says."""
        declared = self.instances
        if declared is None:
            return {}
        names: Any = list(declared.names) or None
        if declared.features is not None:
            names = {n: list(f) for n, f in zip(declared.names, declared.features, strict=True)}
        return {"instances": names, "seeds": list(declared.seeds) or None}


def load_target(path: str | Path) -> RunSpec:
    """Read a ``.py`` or ``.yaml``/``.yml`` run file.

    Raises:
        UsageError: for a missing file, an unknown suffix or any invalid content.
        CommandError: when the Python code raises while it is imported.

    """
    path = Path(path)
    try:
        exists, is_file = path.exists(), path.is_file()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        raise UsageError(f"cannot use the file {shown(str(path))}: {_reason(exc)}") from None
    if not exists:
        raise UsageError(f"no such file: {str(path)!r}")
    if not is_file:
        raise UsageError(f"{str(path)!r} is not a file; give a .py or .yaml file")
    suffix = path.suffix.lower()
    if suffix == ".py":
        return _load_python(path)
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    raise UsageError(
        f"{path}: cannot tell what it is from the suffix {suffix or '(none)'!r}; "
        "give a .py or .yaml file"
    )


# ---------------------------------------------------------------------- Python files
@contextmanager
def search_path(dirs: Iterable[Path]) -> Iterator[None]:
    """Put *dirs* at the front of ``sys.path`` inside the block (so local imports work)."""
    added = [str(d) for d in dirs if str(d) not in sys.path]
    sys.path[:0] = added
    importlib.invalidate_caches()
    try:
        yield
    finally:
        for entry in added:
            with suppress(ValueError):
                sys.path.remove(entry)


def _module_name(path: Path) -> str:
    stem = path.stem
    existing = sys.modules.get(stem)
    if stem.isidentifier() and (
        existing is None or getattr(existing, "__file__", None) == str(path)
    ):
        return stem
    return "_hyperpilot_run_" + re.sub(r"\W", "_", stem)


def import_file(path: Path) -> ModuleType:
    """Import the Python file *path* as a module, with its directory on ``sys.path``.

    Raises:
        UsageError: for a syntax error, naming file and line.
        CommandError: when the module's code raises, naming the exception and the line.

    """
    shown = path
    path = path.resolve()
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{shown}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with search_path([path.parent]):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        where = shown if exc.filename in (None, str(path)) else exc.filename
        raise UsageError(f"{where}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(name, None)
        line = ""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename == str(path):
                line = f":{frame.lineno}"
                break
        raise CommandError(
            f"loading {shown}{line} raised {type(exc).__name__}: {one_line(exc)}"
        ) from None
    return module


def _load_python(path: Path) -> RunSpec:
    module = import_file(path)
    source = str(path)
    has_objective, has_space = hasattr(module, "objective"), hasattr(module, "space")
    if not has_objective and not has_space:
        raise UsageError(
            f"{source} defines neither 'objective' nor 'space' at module level; a run file "
            "needs a function objective(config) returning a number and space = hp.Space({...})"
        )
    if not has_objective:
        raise UsageError(
            f"{source} has no module-level 'objective'; define a function objective(config) "
            "that returns a number (or a mapping of objective names to numbers)"
        )
    if not has_space:
        raise UsageError(
            f"{source} has no module-level 'space'; set space = hp.Space({{...}}) or a dict "
            "of hyperparameters"
        )
    settings = {key: getattr(module, key) for key in PYTHON_SETTINGS if hasattr(module, key)}
    return _spec(source=path, where=source, objective=module.objective, space=module.space,
                 settings=settings, paths=(path.resolve().parent,))


# ---------------------------------------------------------------------- YAML files
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


@functools.cache
def _loader() -> Any:
    """SafeLoader that also reads ``1e-3`` and ``1e3`` as floats (YAML 1.1 wants ``1.0e-3``).

    Built on first use, so that commands reading no YAML do not import it.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
    return Loader


MAX_YAML_DEPTH = 50
"""How deeply a run file's values may nest (a space with conditions needs about six)."""

MAX_YAML_VALUES = 100_000
"""How many values a run file may hold, each use of an alias counted anew."""


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming the line and column.

    Documents nested more deeply than :data:`MAX_YAML_DEPTH` (an alias that contains
    itself nests without end) or holding more than :data:`MAX_YAML_VALUES` values once
    aliases are expanded are refused, so that no later step recurses or prints without end.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {one_line(exc)}") from None
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or one_line(exc)
        raise UsageError(f"{path}{where}: invalid YAML: {problem}") from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise UsageError(f"{path}: the YAML nests more than {MAX_YAML_DEPTH} levels deep") from None
    _check_size(data, path)
    return data


def _check_size(data: Any, path: Path) -> None:
    """Raise UsageError if *data* nests too deeply or holds too many values."""
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if depth > MAX_YAML_DEPTH:
            raise UsageError(
                f"{path}: the YAML nests more than {MAX_YAML_DEPTH} levels deep "
                "(or an alias refers to itself)"
            )
        if count > MAX_YAML_VALUES:
            raise UsageError(
                f"{path}: the YAML holds more than {MAX_YAML_VALUES} values once its "
                "aliases are expanded"
            )
        if isinstance(value, Mapping):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, (list, tuple, set)):
            stack.extend((item, depth + 1) for item in value)


def shown(value: Any) -> str:
    """A short ``repr`` of *value* for a message: long strings and containers abridged."""
    return _REPR.repr(value)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def _load_yaml(path: Path) -> RunSpec:
    data = read_yaml(path)
    source = str(path)
    if not isinstance(data, Mapping):
        raise UsageError(
            f"{source}: expected a mapping with the keys {', '.join(YAML_KEYS)}; "
            f"got {type(data).__name__}"
        )
    for key in data:
        if key not in YAML_KEYS:
            import difflib

            close = difflib.get_close_matches(str(key), YAML_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(
                f"{source}: unknown key {shown(key)}{hint}; known keys: {', '.join(YAML_KEYS)}"
            )
    for key in ("objective", "space"):
        if key not in data:
            raise UsageError(f"{source}: missing the key {key!r}")
    base = path.resolve().parent
    modules: dict[Path, ModuleType] = {}
    objective = _resolve(data["objective"], base, "objective", source, modules)
    space = data["space"]
    if isinstance(space, str):
        space = _resolve(space, base, "space", source, modules)
    settings = {k: v for k, v in data.items() if k not in ("objective", "space")}
    return _spec(source=path, where=source, objective=objective, space=space,
                 settings=settings, paths=(base, *(p.parent for p in modules)))


def _resolve(ref: Any, base: Path, key: str, source: str,
             modules: dict[Path, ModuleType]) -> Any:
    """Return the object named by ``file.py:name`` or ``package.module:name``."""
    if not isinstance(ref, str) or ":" not in ref or ref.endswith(":"):
        raise UsageError(
            f"{source}: {key} must be 'path/to/file.py:name' or 'package.module:name', "
            f"got {shown(ref)}"
        )
    where, _, attr = ref.rpartition(":")
    if where.endswith(".py") or "/" in where or "\\" in where:
        try:
            file = (base / where).resolve()
            found = file.is_file()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            raise UsageError(
                f"{source}: {key}: cannot use the file {shown(where)}: {_reason(exc)}"
            ) from None
        if not found:
            raise UsageError(f"{source}: {key}: no such file {str(base / where)!r}")
        if file not in modules:
            modules[file] = import_file(file)
        module = modules[file]
    elif not all(part.isidentifier() for part in where.split(".")):
        raise UsageError(
            f"{source}: {key}: {shown(where)} is neither a file (ending in .py) nor a module "
            "name (package.module)"
        )
    else:
        try:
            with search_path([base]):
                module = importlib.import_module(where)
        except ImportError as exc:
            raise UsageError(f"{source}: {key}: cannot import {where!r}: {one_line(exc)}") from None
        except Exception as exc:
            raise CommandError(
                f"{source}: {key}: importing {where!r} raised {type(exc).__name__}: "
                f"{one_line(exc)}"
            ) from None
    if not hasattr(module, attr):
        raise UsageError(f"{source}: {key}: {where} defines no {attr!r}{_candidates(module, key)}")
    return getattr(module, attr)


def _reason(exc: OSError | ValueError) -> str:
    """Why a path cannot be used, without the path (which the message shows abridged)."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else one_line(exc)


def _candidates(module: ModuleType, key: str) -> str:
    """``; it defines f, g`` listing the module's own functions (or, for a space, values)."""
    names = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, ModuleType):
            continue
        if key == "objective":
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                names.append(name)
        elif isinstance(value, (Space, Mapping)):
            names.append(name)
    return f"; it defines {', '.join(names[:12])}" if names else ""


# ---------------------------------------------------------------------- validation
def as_space(value: Any, where: str) -> Space:
    """Turn a Space, a mapping of hyperparameters or a JSON description into a Space."""
    try:
        if isinstance(value, Space):
            space = value
        elif isinstance(value, Mapping):
            if value and all(isinstance(v, Hyperparameter) for v in value.values()):
                space = Space(value)
            else:
                space = Space.from_json(value)
        else:
            raise UsageError(
                f"{where}: space must be an hp.Space or a mapping of names to "
                f"hyperparameters, got {type(value).__name__} {shown(value)}"
            )
    except HyperpilotError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"{where}: space: {one_line(exc)}") from None
    if len(space) == 0:
        raise UsageError(f"{where}: space has no hyperparameters")
    return space


def as_optimizer(value: Any, where: str) -> Optimizer:
    """Build the optimizer from a name, a mapping with ``name``, or an Optimizer."""
    try:
        return make_optimizer(value)
    except HyperpilotError as exc:
        raise UsageError(f"{where}: {one_line(exc)}") from None


def _int(value: Any, key: str, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"{where}: {key} must be an integer >= {minimum}, got {shown(value)}")
    return value


def _seconds(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(
            f"{where}: {key} must be a positive number of seconds, got {shown(value)}"
        )
    return float(value)


def _fidelity(value: Any, key: str, where: str) -> Fidelity:
    if isinstance(value, Fidelity):
        return value
    if not isinstance(value, Mapping) or not {"name", "min", "max"} <= set(value) or (
            set(value) - {"name", "min", "max", "log"}):
        raise UsageError(f"{where}: {key} must be an hp.Fidelity or a mapping with name, min, "
                         f"max and optionally log, got {shown(value)}")
    try:
        return Fidelity.from_json(value)
    except HyperpilotError as exc:
        raise UsageError(f"{where}: {key}: {one_line(exc)}") from None


def _budget(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise UsageError(f"{where}: {key} must be a positive number, got {shown(value)}")
    return float(value)


def _declared(settings: Mapping[str, Any], where: str) -> Instances | None:
    """The instances and seeds a run file declares, checked as ``create_study`` does."""
    try:
        return Instances.declare(settings.get("instances"), settings.get("seeds"))
    except HyperpilotError as exc:
        raise UsageError(f"{where}: {one_line(exc)}") from None


def _text(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise UsageError(f"{where}: {key} must be a non-empty string, got {shown(value)}")
    return value


def _spec(*, source: Path, where: str, objective: Any, space: Any,
          settings: Mapping[str, Any], paths: tuple[Path, ...]) -> RunSpec:
    if not callable(objective):
        raise UsageError(
            f"{where}: 'objective' must be callable, got {type(objective).__name__}"
        )
    objectives = constraints = None
    try:
        if settings.get("objectives") is not None:
            objectives = parse_objectives(settings["objectives"])
        if settings.get("constraints") is not None:
            raw = settings["constraints"]
            if not isinstance(raw, Mapping) and not (
                isinstance(raw, (list, tuple)) and all(isinstance(c, Constraint) for c in raw)
            ):
                raise UsageError(
                    f"{where}: constraints must map names to upper bounds, got {shown(raw)}"
                )
            constraints = parse_constraints(raw)
    except HyperpilotError as exc:
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"{where}: {one_line(exc)}") from None

    def get(key: str, check: Callable[[Any, str, str], Any]) -> Any:
        value = settings.get(key)
        return None if value is None else check(value, key, where)

    return RunSpec(
        source=source, objective=objective, space=as_space(space, where),
        objectives=objectives, constraints=constraints,
        optimizer=get("optimizer", lambda v, _k, w: as_optimizer(v, f"{w}: optimizer")),
        trials=get("n_trials" if "n_trials" in settings else "trials",
                   lambda v, k, w: _int(v, k, w, 0)),
        timeout=get("timeout", _seconds), trial_timeout=get("trial_timeout", _seconds),
        name=get("name", _text), seed=get("seed", lambda v, k, w: _int(v, k, w, 0)),
        storage=get("storage", _text), fidelity=get("fidelity", _fidelity),
        max_budget=get("max_budget", _budget), instances=_declared(settings, where),
        paths=paths,
    )
