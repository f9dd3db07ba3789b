"""The web server's schedules: release builds, and mail rounds (docs/mail.md), in the
background while it serves.

Set by `GAPLENS_RELEASE_SCHEDULE`: a crontab line (server local time; default "5 * * * *",
every hour at minute 5), "every N" seconds / "every Nm" / "every Nh", or "off" to run builds
from cron (`gaplens release build`) instead. Each run is `releases.schedule.scheduled_build`:
one build at a time across every process (a database lease), its own transaction, and a log
line without figures.

The same module runs due connection syncs (`GAPLENS_SYNC_SCHEDULE`, same forms; default
"every 5m" under `gaplens serve`): each run syncs the connections whose own interval has
passed (`sync.service.run_due_syncs`; docs/sync.md), or nothing if none is due.
"""

from __future__ import annotations

import re
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from gaplens.privacy import PrivacyPolicy
from gaplens.releases.schedule.service import scheduled_build

DEFAULT_RELEASE_SCHEDULE = "5 * * * *"
OFF = "off"
_EVERY = re.compile(r"every\s+(\d+)\s*(s|m|h)?", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


DEFAULT_SYNC_SCHEDULE = "every 5m"


def release_trigger(schedule: str, setting: str = "GAPLENS_RELEASE_SCHEDULE") -> BaseTrigger | None:
    """The trigger a schedule setting means (None: off); a typo fails at startup, loudly,
    rather than leaving a server that silently never publishes (or syncs)."""
    text = schedule.strip()
    if text.lower() in (OFF, ""):
        return None
    every = _EVERY.fullmatch(text)
    if every:
        seconds = int(every.group(1)) * _UNIT_SECONDS[(every.group(2) or "s").lower()]
        if seconds < 1:
            raise ValueError(f"{setting} {schedule!r}: the interval must be > 0")
        return IntervalTrigger(seconds=seconds)
    try:
        return CronTrigger.from_crontab(text)
    except ValueError as error:
        raise ValueError(
            f"{setting} {schedule!r} is not a crontab line "
            f'("5 * * * *"), "every N[s|m|h]" or "off": {error}'
        ) from None


def start_release_schedule(
    trigger: BaseTrigger, database_url: str, policy: PrivacyPolicy
) -> BackgroundScheduler:
    """A background thread running the build on `trigger`; never two runs of it at once in
    this process (max_instances=1), missed runs folded into one (coalesce)."""
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        scheduled_build,
        trigger,
        args=(database_url, policy),
        id="release-build",
        name="release build",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


def start_sync_schedule(
    trigger: BaseTrigger, database_url: str, policy: PrivacyPolicy, stop: threading.Event
) -> BackgroundScheduler:
    """A background thread that syncs the connections that are due, one run at a time;
    setting `stop` ends a run after the unit it is storing (the next run resumes)."""
    from gaplens.sync.service import run_due_syncs

    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        run_due_syncs,
        trigger,
        args=(database_url, policy, stop),
        id="connection-sync",
        name="connection sync",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


DEFAULT_MAIL_SCHEDULE = "every 15m"
"""How often the server looks for mail rounds due (`GAPLENS_MAIL_SCHEDULE`); a round runs
once, so looking often only makes the invitation leave soon after its opening day starts."""


def mail_trigger(schedule: str) -> BaseTrigger | None:
    return release_trigger(schedule, "GAPLENS_MAIL_SCHEDULE")


def start_mail_schedule(trigger: BaseTrigger, database_url: str) -> BackgroundScheduler:
    """Mail rounds due today (gaplens.mail.runner.scheduled_mail), one run at a time."""
    from gaplens.mail.runner import scheduled_mail

    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        scheduled_mail,
        trigger,
        args=(database_url,),
        id="mail-rounds",
        name="mail rounds",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
