"""Imports every table module, domain and tool layers, so `Base.metadata` is complete for
Alembic and tests."""

from gaplens.accounts import models as account_models
from gaplens.actions import models as action_models
from gaplens.audit import models as audit_models
from gaplens.commitments import models as commitment_models
from gaplens.costs import models as cost_models
from gaplens.criteria import models as criteria_models
from gaplens.db.base import Base
from gaplens.directory import models as directory_models
from gaplens.feedback import models as feedback_models
from gaplens.friction import models as friction_models
from gaplens.imports import models as import_models
from gaplens.mail import models as mail_models
from gaplens.modelling import models as modelling_models
from gaplens.reflections import models as reflection_models
from gaplens.releases import models as release_models
from gaplens.releases.adoption import models as adoption_release_models
from gaplens.releases.drivers import models as driver_release_models
from gaplens.releases.feedback import models as feedback_release_models
from gaplens.releases.friction import models as friction_release_models
from gaplens.releases.measured import models as measured_release_models
from gaplens.releases.reflections import models as reflection_release_models
from gaplens.releases.schedule import models as schedule_models
from gaplens.releases.tasks import models as task_release_models
from gaplens.scim import models as scim_models
from gaplens.spent import models as spent_models
from gaplens.surveys import models as survey_models
from gaplens.sync import models as sync_models
from gaplens.sync import tools as sync_tools
from gaplens.tasks import models as task_models
from gaplens.telemetry import models as telemetry_models
from gaplens.telemetry import tools as telemetry_tools
from gaplens.wins import models as win_models
from gaplens.work import models as work_models
from gaplens.work import tools as work_tools

__all__ = [
    "Base",
    "account_models",
    "action_models",
    "adoption_release_models",
    "audit_models",
    "commitment_models",
    "cost_models",
    "criteria_models",
    "directory_models",
    "driver_release_models",
    "feedback_models",
    "feedback_release_models",
    "friction_models",
    "friction_release_models",
    "import_models",
    "mail_models",
    "measured_release_models",
    "modelling_models",
    "reflection_models",
    "reflection_release_models",
    "release_models",
    "schedule_models",
    "scim_models",
    "spent_models",
    "survey_models",
    "sync_models",
    "sync_tools",
    "task_models",
    "task_release_models",
    "telemetry_models",
    "telemetry_tools",
    "win_models",
    "work_models",
    "work_tools",
]
