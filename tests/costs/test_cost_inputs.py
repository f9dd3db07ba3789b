"""Cost inputs: defaults labelled as assumptions, changes all at once or not at all, one
currency, through the service and the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gaplens.audit.models import AuditEvent
from gaplens.cli import app
from gaplens.costs.models import CostInput
from gaplens.costs.schemas import INPUTS, CostInputsIn
from gaplens.costs.service import load_inputs, reset_inputs, set_inputs, validate_change
from gaplens.db.engine import session_scope
from gaplens.db.migrate import upgrade
from gaplens.errors import InputError

runner = CliRunner()
EVERY_INPUT = {key: 10.0 + i for i, key in enumerate(INPUTS)}


def test_defaults_are_labelled_with_their_source(db_url: str) -> None:
    with session_scope(db_url) as session:
        inputs = load_inputs(session)
    assert inputs.currency == "USD"
    assert set(inputs.inputs) == set(INPUTS)
    for item in inputs.inputs.values():
        assert item.is_default and item.source.startswith("default: ")
    assert inputs.hourly_cost == 75.0
    assert inputs.seat_price("github-copilot") == 19.0
    assert inputs.seat_price("m365-copilot") == 30.0
    assert inputs.seat_price("some other tool") == inputs.seat_price("other") == 20.0


def test_set_and_reset(db_url: str) -> None:
    with session_scope(db_url) as session:
        found = set_inputs(
            session,
            CostInputsIn(amounts={"hourly_cost": 92.5}, note="finance, FY26"),
            dt.date(2026, 5, 4),
        )
    hourly = found.inputs["hourly_cost"]
    assert hourly.amount == 92.5 and not hourly.is_default and hourly.note == "finance, FY26"
    assert hourly.source == "set by an administrator on 2026-05-04"
    assert found.inputs["seat_price.github-copilot"].is_default
    with session_scope(db_url) as session:
        back = set_inputs(session, CostInputsIn(amounts={"hourly_cost": None}))
        assert back.inputs["hourly_cost"].is_default
        set_inputs(session, CostInputsIn(amounts={"hourly_cost": 80.0}))
        assert reset_inputs(session).inputs["hourly_cost"].amount == 75.0
        assert session.scalar(select(func.count()).select_from(CostInput)) == 0


def test_another_currency_needs_every_input_set_together(db_url: str) -> None:
    with session_scope(db_url) as session:
        with pytest.raises(InputError, match="set every input"):
            set_inputs(session, CostInputsIn(currency="EUR", amounts={"hourly_cost": 70.0}))
        found = set_inputs(session, CostInputsIn(currency="eur", amounts=EVERY_INPUT))
        assert found.currency == "EUR"
        assert {i.currency for i in found.inputs.values()} == {"EUR"}
    with session_scope(db_url) as session:
        with pytest.raises(InputError, match="stored in another currency"):
            set_inputs(session, CostInputsIn(currency="USD", amounts={"hourly_cost": 70.0}))
        # Unsetting one EUR input would mix in a USD default.
        with pytest.raises(InputError, match="set every input"):
            set_inputs(session, CostInputsIn(currency="EUR", amounts={"hourly_cost": None}))
        assert load_inputs(session).inputs["hourly_cost"].amount == EVERY_INPUT["hourly_cost"]


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        (CostInputsIn(amounts={"hourly_costs": 5.0}), "hourly_costs", "unknown cost input"),
        (CostInputsIn(amounts={"hourly_cost": -1.0}), "hourly_cost", "from 0 to"),
        (CostInputsIn(amounts={"hourly_cost": float("nan")}), "hourly_cost", "from 0 to"),
        (CostInputsIn(amounts={"hourly_cost": 2e6}), "hourly_cost", "from 0 to"),
        (CostInputsIn(currency="U$D", amounts={"hourly_cost": 5.0}), "currency", "currency code"),
    ],
)
def test_bad_changes_name_the_field(change: CostInputsIn, column: str, message: str) -> None:
    problems = validate_change(change, {})
    assert problems and problems[0].column == column and message in problems[0].message


def test_cli_set_show_and_bad_input(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    upgrade(db)
    result = runner.invoke(
        app, ["costs", "set", "hourly_cost=82", "seat_price.github-copilot=21.5", "--db", db]
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["costs", "show", "--db", db])
    assert shown.exit_code == 0
    assert "82.00 USD" in shown.output and "21.50 USD" in shown.output
    assert "default:" in shown.output  # the inputs left alone still say where they come from
    for args, message in (
        (["hourly_cost"], "is not KEY=AMOUNT"),
        (["hourly_cost=lots"], "is not a number"),
        (["hourly_cost=90", "seat_price.nope=3"], "unknown cost input"),
        (["hourly_cost=90", "--currency", "EUR"], "set every input"),
    ):
        bad = runner.invoke(app, ["costs", "set", *args, "--db", db])
        assert bad.exit_code == 2, (args, bad.output)
        assert message in bad.output and "Traceback" not in bad.output
    with session_scope(db) as session:
        inputs = load_inputs(session)
        assert inputs.hourly_cost == 82.0  # nothing half written
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions == ["set_cost_inputs"]
    assert runner.invoke(app, ["costs", "set", "hourly_cost=default", "--db", db]).exit_code == 0
    assert runner.invoke(app, ["costs", "reset", "--db", db]).exit_code == 0
    with session_scope(db) as session:
        assert all(i.is_default for i in load_inputs(session).inputs.values())
