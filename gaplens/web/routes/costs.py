"""Cost inputs over HTTP: staff read what the report's cost section assumes; admins set them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from gaplens.audit.service import record
from gaplens.costs.schemas import CostInputOut, CostInputs, CostInputsIn
from gaplens.costs.service import load_inputs, set_inputs
from gaplens.web.deps import Admin, AnyStaff, DbSession

router = APIRouter(tags=["costs"])


class CostInputsOut(BaseModel):
    currency: str
    inputs: list[CostInputOut]

    @classmethod
    def of(cls, inputs: CostInputs) -> CostInputsOut:
        return cls(
            currency=inputs.currency,
            inputs=[CostInputOut.of(i) for i in inputs.inputs.values()],
        )


@router.get("/api/v1/costs")
def costs(viewer: AnyStaff, session: DbSession) -> CostInputsOut:
    """The seat prices and loaded hourly cost the report uses; defaults are labelled."""
    del viewer
    return CostInputsOut.of(load_inputs(session))


@router.post("/api/v1/admin/costs")
def set_costs(viewer: Admin, session: DbSession, body: CostInputsIn) -> CostInputsOut:
    """Set inputs all at once (null amount: back to the default); 422 with the field named,
    nothing changed, on a bad value or a currency mix. Recorded in the audit log."""
    result = set_inputs(session, body)
    record(
        session,
        viewer.audit_key,
        "set_cost_inputs",
        ",".join(sorted(body.amounts)),
        {"currency": body.currency},
    )
    return CostInputsOut.of(result)
