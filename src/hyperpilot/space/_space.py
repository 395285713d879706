"""The search space: named hyperparameters, their conditions and forbidden combinations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from hyperpilot.exceptions import ConfigurationError, SpaceError
from hyperpilot.space._conditions import (
    DNF,
    Atom,
    Clause,
    clause_names,
    clauses_to_json,
    parse_clauses,
)
from hyperpilot.space._params import (
    Categorical,
    Hyperparameter,
    Ordinal,
    _Choice,
    hyperparameter_from_json,
)

Config = dict[str, Any]

_MAX_REJECTION_ROUNDS = 100


class Space:
    """A search space: an ordered mapping of names to hyperparameters.

    Args:
        hyperparameters: names mapped to :class:`Float`, :class:`Int`, :class:`Categorical`,
            :class:`Ordinal` or :class:`Constant`. A hyperparameter's ``active_if`` names
            its parents; nesting is allowed, cycles are not.
        forbidden: combinations that no configuration may take. Each entry is a mapping
            ``{name: value or list of values or comparison}`` that is forbidden when every
            entry holds (a list of values means "any of these").

    Raises:
        SpaceError: naming the hyperparameter at fault, what was expected and what was got.

    """

    def __init__(
        self,
        hyperparameters: Mapping[str, Hyperparameter],
        *,
        forbidden: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        if not isinstance(hyperparameters, Mapping):
            raise SpaceError(
                f"Space needs a mapping of names to hyperparameters, got {hyperparameters!r}"
            )
        for name, param in hyperparameters.items():
            if not isinstance(name, str) or not name:
                raise SpaceError(f"hyperparameter names must be non-empty strings, got {name!r}")
            if not isinstance(param, Hyperparameter):
                raise SpaceError(
                    f"hyperparameter {name!r}: expected Float, Int, Categorical, Ordinal or "
                    f"Constant, got {type(param).__name__} {param!r}"
                )
            param.check(name)
        self._params: dict[str, Hyperparameter] = dict(hyperparameters)
        self._conditions: dict[str, DNF] = {n: p.conditions for n, p in self._params.items()}
        for name, dnf in self._conditions.items():
            self._check_clauses(dnf, f"hyperparameter {name!r}: active_if")
        self._order: list[str] = self._topological_order()
        self._forbidden: tuple[Clause, ...] = ()
        if forbidden is not None and (
            isinstance(forbidden, (str, bytes)) or not isinstance(forbidden, (list, tuple))
        ):
            raise SpaceError(
                f"forbidden must be a list of mappings {{name: value}}, got {forbidden!r}"
            )
        if forbidden:
            try:
                parsed = [parse_clauses(item, "forbidden") for item in forbidden]
            except ValueError as exc:
                raise SpaceError(str(exc)) from None
            self._forbidden = tuple(clause for dnf in parsed for clause in dnf)
            self._check_clauses(self._forbidden, "forbidden")
        self._index = {name: i for i, name in enumerate(self._params)}

    # ------------------------------------------------------------------ structure
    def _check_clauses(self, dnf: DNF, what: str) -> None:
        for clause in dnf:
            for atom in clause:
                if atom.name not in self._params:
                    raise SpaceError(
                        f"{what} refers to unknown hyperparameter {atom.name!r}; "
                        f"known: {sorted(self._params)}"
                    )
                parent = self._params[atom.name]
                values = atom.value if atom.op == "in" else (atom.value,)
                for value in values:
                    problem = parent.problem(value)
                    if problem:
                        raise SpaceError(f"{what}: {atom.name!r} {problem}")
                if atom.op in ("gt", "lt") and parent.kind in ("categorical", "constant"):
                    raise SpaceError(
                        f"{what}: {atom.op!r} needs an ordered parent, "
                        f"but {atom.name!r} is {parent.kind}"
                    )

    def _topological_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = " -> ".join([*path[path.index(name):], name])
                raise SpaceError(f"conditions form a cycle: {cycle}")
            state[name] = 1
            for parent in sorted(clause_names(self._conditions[name])):
                visit(parent, [*path, name])
            state[name] = 2
            order.append(name)

        for name in self._params:
            visit(name, [])
        return order

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __getitem__(self, name: str) -> Hyperparameter:
        return self._params[name]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {p!r}" for n, p in self._params.items())
        return f"Space({{{inner}}})"

    @property
    def names(self) -> list[str]:
        """Hyperparameter names in declaration order (the columns of the encoding)."""
        return list(self._params)

    @property
    def hyperparameters(self) -> dict[str, Hyperparameter]:
        """A copy of the name-to-hyperparameter mapping."""
        return dict(self._params)

    @property
    def forbidden(self) -> tuple[Clause, ...]:
        """Forbidden combinations, each a conjunction of atoms."""
        return self._forbidden

    def conditions(self, name: str) -> DNF:
        """The activation condition of *name* in disjunctive normal form (empty: always)."""
        return self._conditions[name]

    def parents(self, name: str) -> set[str]:
        """Names that the activation of *name* depends on directly."""
        return clause_names(self._conditions[name])

    @property
    def is_conditional(self) -> bool:
        """Whether any hyperparameter has a condition."""
        return any(self._conditions.values())

    @property
    def has_prior(self) -> bool:
        """Whether any hyperparameter carries a prior."""
        return any(p.prior is not None for p in self._params.values())

    @property
    def cardinalities(self) -> np.ndarray:
        """Per column: the number of choices of a categorical, else 0 (ordered columns)."""
        return np.array(
            [len(p.choices) if isinstance(p, Categorical) else 0 for p in self._params.values()]
        )

    # ------------------------------------------------------------------ activity
    def _atom_holds(self, atom: Atom, config: Mapping[str, Any]) -> bool:
        if atom.name not in config:
            return False
        param = self._params[atom.name]
        rank = param.index if isinstance(param, Ordinal) and atom.op in ("gt", "lt") else None
        return atom.holds(config[atom.name], rank)

    def is_active(self, name: str, config: Mapping[str, Any]) -> bool:
        """Tell whether *name* is active given the (partial, topologically built) *config*."""
        dnf = self._conditions[name]
        if not dnf:
            return True
        return any(all(self._atom_holds(a, config) for a in clause) for clause in dnf)

    def is_forbidden(self, config: Mapping[str, Any]) -> bool:
        """Tell whether *config* falls into a forbidden combination."""
        return any(
            all(self._atom_holds(a, config) for a in clause) for clause in self._forbidden
        )

    # ------------------------------------------------------------------ encoding
    def decode(self, u: Sequence[float] | np.ndarray) -> Config:
        """Turn one point of the unit hypercube into a configuration (forbidden not checked).

        Columns follow :attr:`names`; hyperparameters whose conditions fail are left out.
        """
        config: Config = {}
        for name in self._order:
            if self.is_active(name, config):
                config[name] = self._params[name].from_unit(u[self._index[name]])
        return {name: config[name] for name in self._params if name in config}

    def encode(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode configurations as rows of the unit hypercube; inactive entries are NaN."""
        out = np.full((len(configs), len(self._params)), np.nan)
        for row, config in enumerate(configs):
            for name, value in config.items():
                j = self._index[name]
                out[row, j] = self._params[name].to_unit(value)
        return out

    def decode_array(self, u: np.ndarray) -> list[Config]:
        """Decode every row of *u* (shape ``(n, len(space))``)."""
        return [self.decode(row) for row in np.atleast_2d(u)]

    def prior_pdf(self, u: np.ndarray) -> np.ndarray:
        """Joint prior density of encoded rows (inactive columns contribute a factor 1)."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        density = np.ones(u.shape[0])
        for j, param in enumerate(self._params.values()):
            if param.prior is None:
                continue
            col = u[:, j]
            active = ~np.isnan(col)
            density[active] *= param.prior_pdf(col[active])
        return density

    # ------------------------------------------------------------------ sampling
    def sample_unit(
        self, n: int, rng: np.random.Generator, *, from_prior: bool = False
    ) -> np.ndarray:
        """Draw *n* points of the unit hypercube, per column uniform or from the prior."""
        cols = [p.sample_unit(rng, n, from_prior) for p in self._params.values()]
        return np.column_stack(cols) if cols else np.zeros((n, 0))

    def sample(
        self, n: int, rng: np.random.Generator | int | None = None, *, from_prior: bool = False
    ) -> list[Config]:
        """Draw *n* valid configurations (conditions applied, forbidden ones redrawn).

        Raises:
            SpaceError: when forbidden combinations reject nearly every draw.

        """
        rng = np.random.default_rng(rng)
        out: list[Config] = []
        for _ in range(_MAX_REJECTION_ROUNDS):
            need = n - len(out)
            if need <= 0:
                break
            for row in self.sample_unit(max(need, 8) if out or need > 1 else 1, rng,
                                        from_prior=from_prior):
                config = self.decode(row)
                if not self._forbidden or not self.is_forbidden(config):
                    out.append(config)
                    if len(out) == n:
                        break
        if len(out) < n:
            raise SpaceError(
                "forbidden combinations reject nearly every configuration; "
                f"drew {_MAX_REJECTION_ROUNDS} rounds and kept {len(out)} of {n}"
            )
        return out

    def default_config(self) -> Config:
        """The configuration made of every hyperparameter's default (conditions applied)."""
        config: Config = {}
        for name in self._order:
            if self.is_active(name, config):
                config[name] = self._params[name].default_value
        return {name: config[name] for name in self._params if name in config}

    def complete(self, given: Mapping[str, Any], fill: Mapping[str, Any]) -> Config:
        """*given* with every active hyperparameter it lacks taken from *fill*, else its default.

        Given values always win; values of *fill* that the given ones make inactive are
        left out. The result is checked as :meth:`validate` checks.

        Raises:
            ConfigurationError: as :meth:`validate` (unknown names, bad or inactive given
                values, a forbidden combination).

        """
        if not isinstance(given, Mapping):
            raise ConfigurationError(
                f"a configuration must be a mapping of names to values, got {given!r}"
            )
        config: dict[str, Any] = {}
        for name in self._order:
            if name in given:
                config[name] = given[name]
            elif self.is_active(name, config):
                config[name] = fill[name] if name in fill else self._params[name].default_value
        return self.validate({**config, **given})

    # ------------------------------------------------------------------ validation
    def validate(self, config: Mapping[str, Any]) -> Config:
        """Check *config* against the space and return it with canonical value types.

        Raises:
            ConfigurationError: naming the offending hyperparameter and value.

        """
        if not isinstance(config, Mapping):
            raise ConfigurationError(
                f"a configuration must be a mapping of names to values, got {config!r}"
            )
        unknown = [key for key in config if key not in self._params]
        if unknown:
            raise ConfigurationError(
                f"configuration has unknown hyperparameter {unknown[0]!r}; "
                f"known: {sorted(self._params)}"
            )
        out: Config = {}
        for name in self._order:
            active = self.is_active(name, out)
            param = self._params[name]
            if not active:
                if name in config:
                    raise ConfigurationError(
                        f"configuration sets {name!r} = {config[name]!r}, but {name!r} is "
                        f"inactive there (active_if {clauses_to_json(self._conditions[name])})"
                    )
                continue
            if name not in config:
                if isinstance(param, _Choice) and param.kind == "constant":
                    out[name] = param.choices[0]
                    continue
                raise ConfigurationError(f"configuration is missing active hyperparameter {name!r}")
            problem = param.problem(config[name])
            if problem:
                raise ConfigurationError(f"configuration: {name!r} {problem}")
            out[name] = param.normalize(config[name])
        ordered = {name: out[name] for name in self._params if name in out}
        if self._forbidden and self.is_forbidden(ordered):
            raise ConfigurationError(f"configuration {ordered!r} is a forbidden combination")
        return ordered

    # ------------------------------------------------------------------ serialization
    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready description that :meth:`from_json` reads back."""
        out: dict[str, Any] = {
            "hyperparameters": {name: p.to_json() for name, p in self._params.items()}
        }
        if self._forbidden:
            out["forbidden"] = [clauses_to_json((clause,)) for clause in self._forbidden]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Space:
        """Build a space from :meth:`to_json` output (also the YAML ``space:`` format).

        A mapping without the ``hyperparameters`` key is read as the hyperparameters alone.
        """
        if not isinstance(data, Mapping):
            raise SpaceError(f"a space description must be a mapping, got {data!r}")
        params = data.get("hyperparameters", data if "forbidden" not in data else {})
        if not isinstance(params, Mapping):
            raise SpaceError(f"'hyperparameters' must be a mapping, got {params!r}")
        return cls(
            {str(name): hyperparameter_from_json(str(name), d) for name, d in params.items()},
            forbidden=data.get("forbidden"),
        )

    def to_configspace(self, *, name: str | None = None, seed: int | None = None) -> Any:
        """Convert to a ``ConfigSpace.ConfigurationSpace`` (needs the ``configspace`` extra)."""
        from hyperpilot.space._configspace import to_configspace

        return to_configspace(self, name=name, seed=seed)

    @classmethod
    def from_configspace(cls, configspace: Any) -> Space:
        """Build a space from a ``ConfigSpace.ConfigurationSpace``."""
        from hyperpilot.space._configspace import from_configspace

        return from_configspace(configspace)

