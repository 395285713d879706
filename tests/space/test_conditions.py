from __future__ import annotations

import pytest

from hyperpilot.exceptions import SpaceError
from hyperpilot.space import Float, Int, Space, gt
from hyperpilot.space._conditions import Atom, clauses_to_json, parse_clauses


def test_clause_testing_one_parent_twice_round_trips_through_json() -> None:
    space = Space(
        {
            "n": Int(0, 10),
            "x": Float(0.0, 1.0, active_if=[[("n", "gt", 2), ("n", "lt", 5)], {"n": 9}]),
            "y": Float(0.0, 1.0, active_if=[("n", "gt", 2), ("n", "in", [3, 4])]),
        },
        forbidden=[[["n", "gt", 6], ["n", "lt", 8]], {"n": gt(8)}],
    )
    assert space.conditions("x") == (
        (Atom("n", "gt", 2), Atom("n", "lt", 5)),
        (Atom("n", "eq", 9),),
    )
    assert space.conditions("y") == ((Atom("n", "gt", 2), Atom("n", "in", (3, 4))),)
    assert space.forbidden[0] == (Atom("n", "gt", 6), Atom("n", "lt", 8))
    data = space.to_json()
    assert data["hyperparameters"]["y"]["active_if"] == [[["n", "gt", 2], ["n", "in", [3, 4]]]]
    assert data["forbidden"][0] == [[["n", "gt", 6], ["n", "lt", 8]]]
    back = Space.from_json(data)
    assert back == space
    assert back.conditions("x") == space.conditions("x")
    assert back.forbidden == space.forbidden
    assert space.is_active("x", {"n": 3}) and not space.is_active("x", {"n": 6})
    assert space.is_forbidden({"n": 7}) and not space.is_forbidden({"n": 6})


def test_distinct_parents_keep_the_mapping_form() -> None:
    dnf = parse_clauses({"a": 1, "b": gt(2)}, "active_if")
    assert clauses_to_json(dnf) == {"a": 1, "b": {"op": "gt", "value": 2}}


@pytest.mark.parametrize("spec", [("n", "gt", 2), [("n", "bad", 2)], [[]], [{}]])
def test_malformed_triples_are_rejected(spec: object) -> None:
    with pytest.raises(SpaceError):
        Space({"n": Int(0, 10), "x": Float(0.0, 1.0, active_if=spec)})
