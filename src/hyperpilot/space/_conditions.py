"""Conditions (when a hyperparameter is active) and forbidden combinations.

A condition is written as ``active_if`` on the child hyperparameter:

* ``{"kernel": "rbf"}`` - active when the parent equals a value;
* ``{"kernel": ["rbf", "poly"]}`` - active when the parent takes one of several values;
* ``{"layers": gt(2)}`` - comparisons ``eq, ne, gt, lt, isin`` for numeric or ordinal parents;
* several keys in one dict must all hold (and); a list of dicts holds if any dict holds (or);
* a clause that tests one parent twice (``layers > 2 and layers < 5``) is written as a list
  of ``[name, op, value]`` triples instead of a dict:
  ``[["layers", "gt", 2], ["layers", "lt", 5]]``, alone or as one clause in a list.

Internally every condition is kept in disjunctive normal form: a tuple of clauses, each a
tuple of :class:`Atom`; the child is active when its parent is active and any clause holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Op = Literal["eq", "ne", "in", "gt", "lt"]
_OPS: tuple[str, ...] = ("eq", "ne", "in", "gt", "lt")


@dataclass(frozen=True)
class Cmp:
    """A comparison to put in an ``active_if`` or ``forbidden`` mapping (see :func:`gt`)."""

    op: Op
    value: Any


def eq(value: Any) -> Cmp:
    """Hold when the hyperparameter equals *value*."""
    return Cmp("eq", value)


def ne(value: Any) -> Cmp:
    """Hold when the hyperparameter differs from *value*."""
    return Cmp("ne", value)


def gt(value: Any) -> Cmp:
    """Hold when the hyperparameter is greater than *value* (numeric or ordinal)."""
    return Cmp("gt", value)


def lt(value: Any) -> Cmp:
    """Hold when the hyperparameter is less than *value* (numeric or ordinal)."""
    return Cmp("lt", value)


def isin(values: Sequence[Any]) -> Cmp:
    """Hold when the hyperparameter takes one of *values*."""
    return Cmp("in", tuple(values))


def value_kind(value: Any) -> str:
    """The kind of a choice value: bools, numbers and strings never match each other."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, str):
        return "str"
    return "none" if value is None else type(value).__name__


def json_ready(value: Any) -> Any:
    """*value* with numpy scalars made Python numbers and tuples made lists, recursively."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same kind: ``1`` is not ``True``; numpy scalars match Python ones."""
    return value_kind(a) == value_kind(b) and bool(a == b)


@dataclass(frozen=True)
class Atom:
    """One test on one hyperparameter: ``name op value``."""

    name: str
    op: Op
    value: Any

    def holds(self, value: Any, rank: Any = None) -> bool:
        """Tell whether the test holds for *value* (``rank`` orders ordinal values)."""
        if self.op == "eq":
            return same_value(value, self.value)
        if self.op == "ne":
            return not same_value(value, self.value)
        if self.op == "in":
            return any(same_value(value, v) for v in self.value)
        left = rank(value) if rank is not None else value
        right = rank(self.value) if rank is not None else self.value
        return bool(left > right) if self.op == "gt" else bool(left < right)

    def to_json(self) -> Any:
        """Return the JSON form used in ``active_if`` and ``forbidden`` mappings."""
        if self.op == "eq":
            return self.value
        if self.op == "in":
            return list(self.value)
        return {"op": self.op, "value": self.value}


Clause = tuple[Atom, ...]
DNF = tuple[Clause, ...]


def _atom(name: str, spec: Any) -> Atom:
    if isinstance(spec, Cmp):
        value = tuple(spec.value) if spec.op == "in" else spec.value
        return Atom(name, spec.op, value)
    if isinstance(spec, Mapping) and set(spec) == {"op", "value"}:
        op = spec["op"]
        if op not in _OPS:
            raise ValueError(f"unknown comparison {op!r} for {name!r}; expected one of {_OPS}")
        value = spec["value"]
        if op == "in":
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set)):
                raise ValueError(f"'in' on {name!r} needs a list of values, got {value!r}")
            value = tuple(value)
        return Atom(name, op, value)
    if isinstance(spec, (list, tuple, set, frozenset)):
        return Atom(name, "in", tuple(spec))
    return Atom(name, "eq", spec)


def parse_clauses(spec: Any, what: str) -> DNF:
    """Turn an ``active_if``/``forbidden`` specification into disjunctive normal form.

    Raises:
        ValueError: when *spec* is neither a mapping nor a list of clauses.

    """
    if spec is None:
        return ()
    items = [spec] if isinstance(spec, Mapping) or _is_triples(spec) else spec
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError(f"{what} must be a mapping or a non-empty list of mappings, got {spec!r}")
    return tuple(_clause(item, what) for item in items)


def _is_triple(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)


def _is_triples(item: Any) -> bool:
    return isinstance(item, (list, tuple)) and bool(item) and all(map(_is_triple, item))


def _clause(item: Any, what: str) -> Clause:
    if isinstance(item, Mapping) and item:
        return tuple(_atom(str(k), v) for k, v in item.items())
    if _is_triples(item):
        return tuple(_atom(name, {"op": op, "value": value}) for name, op, value in item)
    raise ValueError(
        f"{what} must hold non-empty mappings or lists of [name, op, value], got {item!r}"
    )


def _clause_to_json(clause: Clause) -> Any:
    if len({a.name for a in clause}) == len(clause):
        return {a.name: a.to_json() for a in clause}
    return [[a.name, a.op, list(a.value) if a.op == "in" else a.value] for a in clause]


def clauses_to_json(dnf: DNF) -> Any:
    """Return the JSON form of *dnf*: a mapping for one clause, else a list of clauses.

    A clause is a mapping, or a list of ``[name, op, value]`` triples when it tests one
    hyperparameter more than once; such a clause is always wrapped in the list.
    """
    items = [json_ready(_clause_to_json(clause)) for clause in dnf]
    return items[0] if len(items) == 1 and isinstance(items[0], dict) else items


def clause_names(dnf: DNF) -> set[str]:
    """Return the hyperparameter names that *dnf* refers to."""
    return {atom.name for clause in dnf for atom in clause}
