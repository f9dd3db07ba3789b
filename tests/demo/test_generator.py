"""The synthetic organisation: deterministic, valid against the import formats, calibrated."""

from __future__ import annotations

import csv
import datetime as dt
import re
import statistics
import time
from collections import Counter
from pathlib import Path

import pytest

from gaplens.demo.generator import (
    FIRST_NAMES,
    LAST_NAMES,
    RESPONSE_COLUMNS,
    SURVEY_START,
    DemoFiles,
    SyntheticOrganisation,
    generate_organisation,
    write_demo_files,
)
from gaplens.surveys.question_bank import Audience, Scale, bank

ROLES = {"executive", "manager", "individual_contributor"}
LEADERS = {"executive", "manager"}
TENURE_BANDS = {"none", "<1", "1-6", "6+"}
KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
EMAIL = re.compile(r"^[a-z]+\.[a-z]+\d*@northwind\.example$")
RESPONSE_ID = re.compile(r"^R_[A-Za-z0-9]{15}$")
JIRA_ID = re.compile(r"^[0-9a-f]{24}$")
SURVEY_END = SURVEY_START + dt.timedelta(days=13)
QUESTIONS = {q.key: q for q in bank()}


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def org() -> SyntheticOrganisation:
    return generate_organisation(2000, seed=7)


@pytest.fixture(scope="module")
def files(org: SyntheticOrganisation, tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return write_demo_files(org, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def big() -> SyntheticOrganisation:
    return generate_organisation(20000, seed=11)


# --- determinism and speed ---------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    first = write_demo_files(generate_organisation(500, seed=3), tmp_path / "a")
    again = write_demo_files(generate_organisation(500, seed=3), tmp_path / "b")
    other = write_demo_files(generate_organisation(500, seed=4), tmp_path / "c")
    for name in ("teams", "people", "responses"):
        a, b, c = (getattr(f, name).read_bytes() for f in (first, again, other))
        assert a == b, name
        if name != "teams":  # team names come from fixed lists; sizes differ, not the rows
            assert a != c, name
    assert first.survey_name == "AI pulse 2026-Q3"


def test_two_thousand_people_generate_and_write_well_under_two_seconds(tmp_path: Path) -> None:
    started = time.perf_counter()
    write_demo_files(generate_organisation(2000, seed=1), tmp_path)
    assert time.perf_counter() - started < 2.0


# --- shape of the organisation ----------------------------------------------------------


def test_headcount_roles_and_response_rate_near_targets(org: SyntheticOrganisation) -> None:
    roles = Counter(p.role_level for p in org.people)
    assert len(org.people) == 2000
    assert 36 <= len(org.teams) <= 44
    assert 0.02 <= roles["executive"] / 2000 <= 0.03
    assert 0.10 <= roles["manager"] / 2000 <= 0.14
    assert 0.65 <= len(org.responses) / 2000 <= 0.75


@pytest.mark.parametrize("people", [1, 5, 30, 120])
def test_tiny_organisations_still_have_a_tree_and_an_executive(people: int) -> None:
    org = generate_organisation(people, seed=2)
    keys = {t.key for t in org.teams}
    assert len(org.people) == people
    assert len(org.teams) >= 4
    assert any(p.role_level == "executive" for p in org.people)
    assert all(p.team in keys for p in org.people)


def test_generate_rejects_an_empty_organisation() -> None:
    with pytest.raises(ValueError):
        generate_organisation(0)


def test_team_tree_has_one_root_functions_and_leaves_of_varied_size(
    org: SyntheticOrganisation, files: DemoFiles
) -> None:
    header, rows = read(files.teams)
    assert header == ["key", "name", "parent", "function"]
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys))
    assert all(KEY.match(k) for k in keys)
    roots = [r for r in rows if not r["parent"]]
    assert len(roots) == 1
    assert all(r["parent"] in keys for r in rows if r["parent"])
    functions = [r for r in rows if r["parent"] == roots[0]["key"]]
    assert {r["function"] for r in functions} >= {"Engineering", "Support", "Sales", "Operations"}
    assert 5 <= len(functions) <= 6
    assert "eng-payments" in keys

    heads = {roots[0]["key"], *(r["key"] for r in functions)}
    assert all(p.team in heads for p in org.people if p.role_level == "executive")
    leaf_sizes = Counter(p.team for p in org.people if p.team not in heads)
    assert any(6 <= size <= 12 for size in leaf_sizes.values())
    assert any(size >= 60 for size in leaf_sizes.values())
    managed = {p.team for p in org.people if p.role_level == "manager"}
    assert set(leaf_sizes) <= managed


def test_people_rows_follow_the_documented_format(files: DemoFiles) -> None:
    header, rows = read(files.people)
    assert header == [
        "email",
        "name",
        "role_level",
        "function",
        "team",
        "github_login",
        "jira_account_id",
        "ai_licence_date",
        "ai_adoption_date",
    ]
    team_keys = {r["key"] for r in read(files.teams)[1]}
    emails = [r["email"] for r in rows]
    assert len(set(emails)) == len(emails)
    assert all(EMAIL.match(e) for e in emails)
    assert any(not name.isascii() for name in (r["name"] for r in rows))  # UTF-8 round trip
    assert all(r["role_level"] in ROLES and r["team"] in team_keys for r in rows)

    logins = [r["github_login"] for r in rows if r["github_login"]]
    assert len(set(logins)) == len(logins)
    assert all(bool(r["github_login"]) == (r["function"] == "Engineering") for r in rows)
    jira = [r["jira_account_id"] for r in rows if r["jira_account_id"]]
    assert len(set(jira)) == len(jira)
    assert all(JIRA_ID.match(j) for j in jira)
    assert all(
        bool(r["jira_account_id"]) == (r["function"] in {"Engineering", "Product"}) for r in rows
    )

    licensed = [r for r in rows if r["ai_licence_date"]]
    assert 0.75 <= len(licensed) / len(rows) <= 0.85
    for r in licensed:
        licence = dt.date.fromisoformat(r["ai_licence_date"])
        assert dt.date(2025, 1, 1) <= licence < SURVEY_START
        if r["ai_adoption_date"]:
            assert licence < dt.date.fromisoformat(r["ai_adoption_date"]) < SURVEY_START
    adopted = sum(bool(r["ai_adoption_date"]) for r in rows)
    assert 0 < adopted < len(licensed)
    assert not any(r["ai_adoption_date"] and not r["ai_licence_date"] for r in rows)


def test_response_rows_follow_the_documented_format(files: DemoFiles) -> None:
    header, rows = read(files.responses)
    assert header == list(RESPONSE_COLUMNS)
    assert not {"email", "name"} & {h.lower() for h in header}
    team_keys = {r["key"] for r in read(files.teams)[1]}
    ids = [r["response_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(RESPONSE_ID.match(i) for i in ids)

    for r in rows:
        assert SURVEY_START <= dt.date.fromisoformat(r["answered_on"]) <= SURVEY_END
        assert r["role_level"] in ROLES
        assert r["team"] == "" or r["team"] in team_keys
        assert r["ai_tenure"] in TENURE_BANDS
        for key in header[6:]:
            assert_valid_answer(key, r[key], r["role_level"])
        if r["uses_ai_any"] == "no":
            assert r["shadow_tools"] == ""
            assert r["ai_tenure"] == "none"
        if r["shadow_tools"] == "sanctioned tools":  # (a skipped tools question says nothing)
            assert r["shadow_use"] == r["shadow_reason"] == "", "asked only of shadow-tool users"
        if r["uses_ai_any"] == "yes":
            assert r["ai_tenure"] != "none"

    assert 0.01 <= sum(not r["team"] for r in rows) / len(rows) <= 0.06
    assert len({r["answered_on"] for r in rows}) == 14
    structural = {"comment", "peers_effective_use", "shadow_tools", "shadow_use", "shadow_reason"}
    answered = [r[k] for r in rows for k in header[6:] if k not in structural]
    blank = sum(not a for a in answered) / len(answered)
    assert 0.015 <= blank <= 0.045


def assert_valid_answer(key: str, value: str, role: str) -> None:
    entry = QUESTIONS[key]
    if entry.audience is Audience.LEADERS and role not in LEADERS:
        assert value == "", key
    if not value:
        return
    if entry.scale in (Scale.CHOICE, Scale.AGREE5):
        assert value in entry.options, (key, value)
    elif entry.scale is Scale.MULTI:
        parts = value.split(";")
        assert all(p in entry.options for p in parts) and len(set(parts)) == len(parts)
    elif entry.scale is Scale.NUMBER:
        assert entry.bounds is not None
        assert entry.bounds[0] <= float(value) <= entry.bounds[1], (key, value)
    else:
        assert value.strip() == value and len(value) < 300


def test_comments_are_varied_and_never_name_anyone(org: SyntheticOrganisation) -> None:
    comments = [r["comment"] for r in org.responses if r["comment"]]
    assert 0.15 <= len(comments) / len(org.responses) <= 0.25
    assert len(set(comments)) >= 40
    names = {n for full in FIRST_NAMES + LAST_NAMES for n in full.split()}
    words = {w.strip(".,:;'") for c in comments for w in c.split()}
    assert not names & words


# --- calibration to the published figures -----------------------------------------------


def share(org: SyntheticOrganisation, roles: set[str], key: str, options: set[str]) -> float:
    answers = [r[key] for r in org.responses if r["role_level"] in roles and r[key]]
    return sum(a in options for a in answers) / len(answers)


def numbers(org: SyntheticOrganisation, roles: set[str], key: str) -> list[float]:
    return [float(r[key]) for r in org.responses if r["role_level"] in roles and r[key]]


def test_productivity_impact_recovers_the_gartner_ratios(big: SyntheticOrganisation) -> None:
    ic, ex = {"individual_contributor"}, {"executive"}
    high = share(big, ex, "productivity_impact", {"high gains"}) / share(
        big, ic, "productivity_impact", {"high gains"}
    )
    none = share(big, ic, "productivity_impact", {"no difference"}) / share(
        big, ex, "productivity_impact", {"no difference"}
    )
    assert 3.0 <= high <= 5.5
    assert 3.5 <= none <= 7.0


def test_other_items_recover_their_published_shares(big: SyntheticOrganisation) -> None:
    ic = {"individual_contributor"}
    assert 0.72 <= share(big, ic, "job_security_clarity", {"no", "unsure"}) <= 0.84
    assert share(big, LEADERS, "job_security_clarity", {"yes"}) > 0.5
    assert 0.08 <= share(big, ic, "decision_involvement", {"agree", "strongly agree"}) <= 0.16
    assert share(big, LEADERS, "decision_involvement", {"agree", "strongly agree"}) > 0.45
    assert 0.10 <= share(big, LEADERS, "peers_effective_use", {"agree", "strongly agree"}) <= 0.18
    assert 0.70 <= share(big, ROLES, "uses_ai_any", {"yes"}) <= 0.80
    assert 0.72 <= share(big, ic, "workload_change", {"added"}) <= 0.82
    assert share(big, {"executive"}, "workload_change", {"reduced"}) > 0.5


def test_perceived_numbers_show_optimistic_leaders(big: SyntheticOrganisation) -> None:
    ic, ex = {"individual_contributor"}, {"executive"}
    ic_hours = numbers(big, ic, "perceived_time_saved")
    assert 0.5 <= statistics.mean(ic_hours) <= 2.0
    assert 0.05 <= sum(h < 0 for h in ic_hours) / len(ic_hours) <= 0.4
    assert 4.0 <= statistics.mean(numbers(big, ex, "perceived_time_saved")) <= 7.0
    assert 15.0 <= statistics.mean(numbers(big, ic, "perceived_speedup")) <= 25.0
    assert statistics.mean(numbers(big, ex, "perceived_speedup")) > 30.0


def test_copilot_items_agree_with_productivity_impact(big: SyntheticOrganisation) -> None:
    for item in ("copilot_quality", "copilot_effort", "copilot_speed", "copilot_productivity"):
        by_impact = {
            impact: sum(
                r[item] in {"agree", "strongly agree"}
                for r in big.responses
                if r["productivity_impact"] == impact and r[item]
            )
            / sum(1 for r in big.responses if r["productivity_impact"] == impact and r[item])
            for impact in ("high gains", "no difference", "worse")
        }
        assert by_impact["high gains"] > by_impact["no difference"] + 0.3
        assert by_impact["no difference"] > by_impact["worse"]


def test_shadow_follow_ups_plant_where_provided_tools_fail():
    """Licensed people mostly say the provided tool is worse; unlicensed ones lack access."""
    org = generate_organisation(people=6000, seed=3)
    reasons: dict[bool, list[str]] = {True: [], False: []}
    for r in org.responses:
        if r["shadow_reason"]:
            reasons["sanctioned tools" in r["shadow_tools"]].append(r["shadow_reason"])
    assert len(reasons[True]) > 100 and len(reasons[False]) > 100
    worse = sum(x == "the provided tool is worse at this" for x in reasons[True]) / len(
        reasons[True]
    )
    no_access = sum(x == "I have no access to a provided tool" for x in reasons[False]) / len(
        reasons[False]
    )
    assert 0.35 < worse < 0.55
    assert 0.5 < no_access < 0.7
