"""The drivers of perceived gains, built with the survey release: planted worlds recovered,
small scopes and unanimous factors withheld, and an attacker who knows every answer but one
class's, holding the releases of a scope and of the scope minus that class, cannot solve any
member's answer."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.directory.models import Team
from gaplens.privacy import configured_policy
from gaplens.releases.drivers.models import DriverScope
from gaplens.releases.drivers.queries import GainDrivers, gain_drivers
from gaplens.releases.drivers.service import (
    ScopeSpec,
    Unit,
    analyse,
    direction,
    driver_floor,
    percent,
    rounding_step,
    units_of,
)
from gaplens.releases.service import UNSANCTIONED, Series, build_survey_release, released_series
from gaplens.stats.importance import Importance
from gaplens.surveys.models import SurveyResponse
from gaplens.surveys.service import find_survey
from tests.releases.drivers_world import Answers, planted_person, setup, write
from tests.releases.world import DAY

POLICY = configured_policy()
K = POLICY.min_group_size
TODAY = DAY.replace(day=DAY.day + 1)


def _build(url: str, people: list[Answers]) -> None:
    with session_scope(url) as session:
        setup(session)
        write(session, "Pulse", people)
    with session_scope(url) as session:
        built = build_survey_release(session, find_survey(session, "Pulse"), POLICY, today=TODAY)
        assert built.release is not None, built.message


def _team(url: str, key: str) -> int:
    with session_scope(url) as session:
        return session.scalars(select(Team.id).where(Team.key == key)).one()


def _drivers(url: str, team: str | None = None) -> GainDrivers | None:
    team_id = None if team is None else _team(url, team)
    with session_scope(url) as session:
        return gain_drivers(session, find_survey(session, "Pulse"), team=team_id)


def _planted(seed: int, sizes: dict[str, int]) -> list[Answers]:
    rng = random.Random(seed)
    people = [planted_person(rng, team) for team, n in sizes.items() for _ in range(n)]
    people += [replace(planted_person(rng, "eng"), role="manager") for _ in range(8)]
    return people


def test_a_planted_driver_ranks_first_and_planted_nulls_include_zero(db_url: str):
    _build(db_url, _planted(1, {"eng-core": 90, "eng-data": 70, "support": 40}))
    found = _drivers(db_url)
    assert found is not None and found.respondents == 200
    first, *rest = found.factors
    assert first.factor == "involvement" and first.direction == 1
    assert first.low >= 20  # well away from zero
    for factor in rest:  # planted with no effect
        assert factor.low <= 0 <= factor.high, factor
    assert found.explained_low <= found.explained <= found.explained_high
    # whole percents of parts that add up to the whole
    assert abs(found.explained - sum(f.share for f in found.factors)) <= len(found.factors)


def test_scopes_below_the_floor_are_not_analysed(db_url: str):
    _build(db_url, _planted(2, {"eng-core": 60, "eng-data": 20, "support": 30}))
    assert driver_floor(K) == 50
    assert _drivers(db_url, "eng-core") is not None
    assert _drivers(db_url, "eng-data") is None  # 20 frontline respondents
    assert _drivers(db_url, "support") is None
    with session_scope(db_url) as session:
        kinds = sorted((row.kind, row.respondents) for row in session.scalars(select(DriverScope)))
    assert all(n >= 50 for _, n in kinds)


def test_a_factor_everyone_answered_alike_withholds_the_scope(db_url: str):
    people = _planted(3, {"eng-core": 80})
    people = [
        replace(p, options={**p.options, "job_security_clarity": 0}) if p.role != "manager" else p
        for p in people
    ]
    _build(db_url, people)
    assert _drivers(db_url) is None  # else its share would say everyone answered "yes"


def test_one_answer_in_a_group_of_its_own_withholds_the_scope(db_url: str):
    """Only two people use a tool the organisation did not provide: the share of shadow AI
    would hinge on those two, so the scope is not analysed."""
    people = _planted(4, {"eng-core": 80})
    people = [replace(p, tools=frozenset({0})) for p in people]
    people[0] = replace(people[0], tools=frozenset({0, 2}))
    people[1] = replace(people[1], tools=frozenset({0, 3}))
    _build(db_url, people)
    assert _drivers(db_url) is None


# --- the attacker ----------------------------------------------------------------------------

GAINS = tuple(6.25 * i for i in range(17))  # every mean of four answers on the 0-100 scale
CANDIDATES = [
    Unit(g, 25.0 * i, c, "1-6", s)
    for g, i, c, s in itertools.product(GAINS, range(5), (0, 1), (0, 1))
]


def _released(found: Importance | None, step: int | None = None) -> tuple[int | None, ...] | None:
    """Everything a release publishes for a scope, as one comparable tuple (`step`: what
    a release rounding differently would publish)."""
    if found is None:
        return None
    step = step or rounding_step(found.n)
    return (
        step,
        percent(found.r2, step),
        percent(found.r2_low, step),
        percent(found.r2_high, step),
        *(percent(v, step) for v in (*found.shares, *found.low, *found.high)),
        *(direction(s, percent(low, step)) for s, low in zip(found.signs, found.low, strict=True)),
    )


def _unit(person: Answers) -> Unit:
    units = units_of(_series(person), {"p": person.tenure}, ["p"])
    return units["p"]


def _series(person: Answers) -> list[Series]:
    answers: dict[str, dict[str, int | frozenset[int]]] = {
        key: {"p": v} for key, v in person.options.items()
    }
    answers[UNSANCTIONED] = {"p": int(bool(person.tools - {0}))}
    return [Series(key, 5, False, dict(values)) for key, values in answers.items()]


def _attack_world(known: int) -> tuple[list[Unit], list[Unit]]:
    rng = random.Random(5)
    others = [_unit(planted_person(rng, "eng")) for _ in range(known)]
    secret = [_unit(replace(planted_person(rng, "support"), tenure="1-6")) for _ in range(K)]
    return others, secret


def test_the_attackers_model_is_the_release(db_url: str):
    """The organisation's frontline and the team "eng" differ by exactly one class (the k
    support staff of one tenure band), and the builder's functions the attacker below runs
    reproduce the stored release exactly."""
    rng = random.Random(5)
    people = _planted(5, {"eng-core": 30, "eng-data": 25})
    people += [replace(planted_person(rng, "support"), tenure="1-6") for _ in range(K)]
    _build(db_url, people)
    org, eng = _drivers(db_url), _drivers(db_url, "eng")
    assert org is not None and eng is not None
    assert org.respondents - eng.respondents == K  # the scopes differ by one class of k
    assert org.step == 5
    with session_scope(db_url) as session:
        survey = find_survey(session, "Pulse")
        frontline = sorted(
            session.scalars(
                select(SurveyResponse.id).where(
                    SurveyResponse.role_level == "individual_contributor"
                )
            )
        )
        bands = dict(
            session.execute(select(SurveyResponse.id, SurveyResponse.ai_tenure_band)).all()
        )
        units = units_of(released_series(session, survey), bands, frontline)
        seed = ScopeSpec("organisation", None, None).seed(survey)
    again = _released(analyse(list(units.values()), K, seed))
    stored = (
        org.step,
        org.explained,
        org.explained_low,
        org.explained_high,
    )
    assert again is not None and again[:4] == stored
    assert sorted(again[4:8]) == sorted(f.share for f in org.factors)


def test_an_attacker_who_knows_every_other_answer_cannot_solve_one_in_the_smallest_class():
    """The attacker holds the organisation's release and, stronger than the release of the
    organisation minus the class (which tells them less), every answer outside the smallest
    class: k people of one team and tenure band in a scope of 60 (the floor's size). For
    each of two members, every answer they could have given (perceived gains, involvement,
    clarity, shadow AI: 340 combinations) is tried against the release: many fit (61 and 20
    when written), with more than one value for every question, so no answer is determined.
    With whole percents at this size (one combination fit member 1), or with the direction
    of every factor published, this attacker pinned a member's answer: hence steps of 5
    points below 250 respondents, and a direction only for a factor whose interval lies
    above zero."""
    known, secret = _attack_world(55)
    seed = 12345
    truth = _released(analyse(known + secret, K, seed))
    assert truth is not None and truth[0] == 5
    for member in range(2):
        fits = [
            cand
            for cand in CANDIDATES
            if _released(analyse([*known, *secret[:member], cand, *secret[member + 1 :]], K, seed))
            == truth
        ]
        assert len(fits) >= 5, f"member {member}: only {len(fits)} answers fit"
        for question in ("gains", "involvement", "clarity", "shadow"):
            values = {getattr(cand, question) for cand in fits}
            assert len(values) >= 2, f"member {member}'s {question} is determined: {values}"


def test_the_attacker_pins_an_answer_when_whole_percents_are_published_at_the_floor():
    """The same search against a release that rounded to whole percent at 60 respondents:
    exactly one combination fits member 1, whose every answer is then known. The attack is
    real, and the rounding step is what stops it."""
    known, secret = _attack_world(55)
    seed = 12345
    truth = _released(analyse(known + secret, K, seed), step=1)
    fits = [
        cand
        for cand in CANDIDATES
        if _released(analyse([*known, secret[0], cand, *secret[2:]], K, seed), step=1) == truth
    ]
    assert fits == [secret[1]]
