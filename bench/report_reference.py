# ruff: noqa: E501  (SQL reads better unwrapped)
"""The measured section's aggregates written as plain DuckDB SQL, for the report benchmark.

DuckDB reads the same tables gaplens reads, from the same SQLite file (sqlite_scanner) or
PostgreSQL database (postgres_scanner), with the extensions installed from PyPI. It computes
what the report's measured section shows, with the same definitions (docs/metrics.md):

- the pivots (each user's adoption day; a non-user's team median, else the organisation's);
- per person and window (before, after, current) every metric's value: throughput, story
  points per sprint, cycle time and time to resolution (medians), reopen and rework rates,
  AI usage intensity;
- for the organisation, every metric's current summary, AI users' change, the difference in
  differences and the tenure split, each with its n; for every scope of the three realities
  (the organisation, each function, each team with the teams below) the cycle-time and
  time-to-resolution difference in differences with the users' before level, and the
  executives' and individual contributors' median perceived speed-up;
- the adoption funnel per team and for the organisation (stage counts with trained and
  certified), and per use case the friction, feedback and Copilot feature totals.

It does not compute bootstrap intervals (gaplens draws 2,000 resamples per interval), Wilson
or MOVER intervals, the privacy gate, the perception figures of the report's first part, or
the document itself: point estimates and n only, so the ratio is an upper bound on gaplens's
overhead for the same numbers.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

import duckdb

WINDOW, RAMP, SPAN = 90, 14, 90
METRICS = (
    "throughput",
    "story_points_per_sprint",
    "cycle_time",
    "time_to_resolution",
    "reopen_rate",
    "rework_cycles",
    "ai_usage_intensity",
)
MEDIAN_METRICS = {"cycle_time", "time_to_resolution"}


def _extension(package: str) -> str:
    module = __import__(package)
    return str(next(pathlib.Path(module.__file__).parent.rglob("*.duckdb_extension")))


def connect(source: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with `source` attached read-only as `s` (a SQLite path or a
    postgresql:// URL)."""
    con = duckdb.connect()
    if source.startswith("postgresql"):
        con.execute(f"LOAD '{_extension('duckdb_extension_postgres_scanner')}'")
        con.execute(f"ATTACH '{source}' AS s (TYPE postgres, READ_ONLY)")
    else:
        con.execute(f"LOAD '{_extension('duckdb_extension_sqlite_scanner')}'")
        con.execute(f"ATTACH '{source}' AS s (TYPE sqlite, READ_ONLY)")
    return con


def _months_before(day: dt.date, months: int) -> dt.date:
    import calendar

    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def reference(source: str, as_of: dt.date, survey_id: int = 1) -> dict[str, Any]:
    """Run every aggregate; returns a few of them for the sanity check against gaplens."""
    con = connect(source)
    end = (as_of - dt.date(1970, 1, 1)).days + 1
    cut = (_months_before(as_of, 6) - dt.date(1970, 1, 1)).days
    q = con.execute
    q(f"""
    CREATE TEMP TABLE p AS
    SELECT id, team_id, function, role_level,
           date_diff('day', DATE '1970-01-01', ai_adoption_date) AS adoption,
           ai_licence_date AS licence, ai_adoption_date AS adoption_date
    FROM s.person WHERE organisation_id = 1;
    CREATE TEMP TABLE piv AS
    WITH users AS (SELECT * FROM p WHERE adoption <= {end - 1}),
         team_med AS (SELECT team_id, floor(median(adoption)) AS m FROM users GROUP BY team_id),
         org_med AS (SELECT floor(median(adoption)) AS m FROM users)
    SELECT p.id, p.team_id, p.function, p.adoption,
           p.adoption IS NOT NULL AND p.adoption <= {end - 1} AS is_user,
           p.adoption IS NULL AS non_user,
           CASE WHEN p.adoption <= {end - 1} THEN p.adoption
                WHEN p.adoption IS NULL THEN coalesce(t.m, o.m) END AS pv
    FROM p LEFT JOIN team_med t USING (team_id) CROSS JOIN org_med o;
    CREATE TEMP TABLE w AS
    SELECT person_id, kind = 'ticket' AS ticket, epoch(created_at) / 86400.0 AS c,
           epoch(started_at) / 86400.0 AS st, epoch(resolved_at) / 86400.0 AS r,
           story_points AS pts, sprint, reopen_count AS ro, rework_count AS rw
    FROM s.work_item WHERE person_id IS NOT NULL AND created_at < TIMESTAMP '{as_of}' + INTERVAL 1 DAY;
    CREATE TEMP TABLE u AS
    SELECT DISTINCT person_id, date_diff('day', DATE '1970-01-01', day) AS d FROM s.ai_usage_day;
    CREATE TEMP TABLE win AS
    SELECT id AS person_id, 'before' AS w, pv - {WINDOW} AS a, pv AS b FROM piv WHERE pv IS NOT NULL
    UNION ALL SELECT id, 'after', pv + {RAMP}, pv + {RAMP + WINDOW} FROM piv WHERE pv IS NOT NULL
    UNION ALL SELECT id, 'current', {end - WINDOW}, {end} FROM piv;
    CREATE TEMP TABLE work_val AS
    SELECT win.person_id, win.w,
      count(*) FILTER (WHERE r >= a AND r < b) AS resolved,
      count(*) FILTER (WHERE c < b AND (r IS NULL OR r >= a)) AS active,
      sum(coalesce(pts, 0)) FILTER (WHERE r >= a AND r < b AND sprint IS NOT NULL) AS points,
      count(DISTINCT sprint) FILTER (WHERE c < b AND (r IS NULL OR r >= a) AND sprint IS NOT NULL) AS sprints,
      median(greatest(r - coalesce(st, c), 0)) FILTER (WHERE r >= a AND r < b AND NOT ticket) AS cycle_time,
      median(greatest(r - c, 0)) FILTER (WHERE r >= a AND r < b AND ticket) AS time_to_resolution,
      avg((ro >= 1)::INT) FILTER (WHERE r >= a AND r < b AND ro IS NOT NULL) AS reopen_rate,
      avg(rw) FILTER (WHERE r >= a AND r < b AND rw IS NOT NULL) AS rework_cycles
    FROM win LEFT JOIN w ON w.person_id = win.person_id GROUP BY win.person_id, win.w;
    CREATE TEMP TABLE usage_val AS
    SELECT win.person_id, win.w,
      CASE WHEN win.a >= (SELECT min(d) FROM u)
           THEN count(u.d) / ((win.b - win.a) / 7.0) END AS ai_usage_intensity
    FROM win LEFT JOIN u ON u.person_id = win.person_id AND u.d >= win.a AND u.d < win.b
    GROUP BY win.person_id, win.w, win.a, win.b;
    CREATE TEMP TABLE val AS
    SELECT person_id, w, metric, value FROM (
      SELECT v.person_id, v.w,
        CASE WHEN active > 0 THEN resolved / ({WINDOW} / 7.0) END AS throughput,
        CASE WHEN sprints > 0 THEN points / sprints END AS story_points_per_sprint,
        cycle_time, time_to_resolution, reopen_rate, rework_cycles, x.ai_usage_intensity
      FROM work_val v JOIN usage_val x USING (person_id, w)
    ) UNPIVOT INCLUDE NULLS (value FOR metric IN ({", ".join(METRICS)}));
    CREATE TEMP TABLE per_person AS
    SELECT piv.*, metric,
      max(value) FILTER (WHERE w = 'before') AS before,
      max(value) FILTER (WHERE w = 'after') AS after,
      max(value) FILTER (WHERE w = 'current') AS current,
      piv.pv + {RAMP + WINDOW} <= {end} AS complete
    FROM val JOIN piv ON piv.id = val.person_id
    GROUP BY ALL;
    """)
    # Scopes: the organisation, each function, each team with the teams below it.
    q("""
    CREATE TEMP TABLE scope AS
    SELECT 'organisation' AS scope, id AS person_id FROM p
    UNION ALL SELECT 'function:' || function, id FROM p
    UNION ALL SELECT 'team:' || tree.root, p.id FROM (
      WITH RECURSIVE tree(root, team) AS (
        SELECT id, id FROM s.team WHERE organisation_id = 1
        UNION ALL SELECT tree.root, t.id FROM tree JOIN s.team t ON t.parent_id = tree.team)
      SELECT * FROM tree) tree JOIN p ON p.team_id = tree.team;
    """)
    did = """
      count(*) FILTER (WHERE is_user AND complete AND before IS NOT NULL AND after IS NOT NULL) AS treated,
      avg(after - before) FILTER (WHERE is_user AND complete AND before IS NOT NULL AND after IS NOT NULL) AS treated_change,
      avg(before) FILTER (WHERE is_user AND complete AND before IS NOT NULL AND after IS NOT NULL) AS treated_before,
      count(*) FILTER (WHERE non_user AND complete AND before IS NOT NULL AND after IS NOT NULL) AS control,
      avg(after - before) FILTER (WHERE non_user AND complete AND before IS NOT NULL AND after IS NOT NULL) AS control_change
    """
    organisation = q(f"""
    SELECT metric,
      count(current) AS n_current, avg(current) AS mean_current, median(current) AS median_current,
      {did},
      count(*) FILTER (WHERE is_user AND complete AND after IS NOT NULL AND adoption <= {cut}) AS veterans,
      avg(after) FILTER (WHERE is_user AND complete AND after IS NOT NULL AND adoption <= {cut}) AS veteran_mean,
      median(after) FILTER (WHERE is_user AND complete AND after IS NOT NULL AND adoption <= {cut}) AS veteran_median,
      count(*) FILTER (WHERE is_user AND complete AND after IS NOT NULL AND adoption > {cut}) AS newer,
      avg(after) FILTER (WHERE is_user AND complete AND after IS NOT NULL AND adoption > {cut}) AS newer_mean,
      median(after) FILTER (WHERE is_user AND complete AND after IS NOT NULL AND adoption > {cut}) AS newer_median
    FROM per_person GROUP BY metric ORDER BY metric
    """).fetchall()
    realities = q(f"""
    SELECT scope.scope, metric, {did}
    FROM per_person JOIN scope ON scope.person_id = per_person.id
    WHERE metric IN ('cycle_time', 'time_to_resolution')
    GROUP BY scope.scope, metric ORDER BY 1, 2
    """).fetchall()
    perceived = q(f"""
    WITH r AS (
      SELECT sr.id, sr.role_level, sr.team_id, sr.function, sa.number
      FROM s.survey_response sr JOIN s.survey_answer sa ON sa.response_id = sr.id
      JOIN s.survey_question sq ON sq.question_id = sa.question_id AND sq.survey_id = sr.survey_id
      JOIN s.bank_question bq ON bq.id = sa.question_id
      WHERE sr.survey_id = {survey_id} AND bq.key = 'perceived_speedup' AND sa.number IS NOT NULL),
    tree AS (
      WITH RECURSIVE tree(root, team) AS (
        SELECT id, id FROM s.team UNION ALL SELECT tree.root, t.id FROM tree JOIN s.team t ON t.parent_id = tree.team)
      SELECT * FROM tree),
    scoped AS (
      SELECT 'organisation' AS scope, * FROM r
      UNION ALL SELECT 'function:' || function, * FROM r
      UNION ALL SELECT 'team:' || tree.root, r.* FROM r JOIN tree ON tree.team = r.team_id)
    SELECT scope, role_level, count(DISTINCT id), median(number) FROM scoped
    WHERE role_level IN ('executive', 'individual_contributor') GROUP BY 1, 2 ORDER BY 1, 2
    """).fetchall()
    funnel = q(f"""
    WITH lic AS (SELECT id, team_id, CASE WHEN adoption_date <= DATE '{as_of}' THEN adoption_date END AS adopted
                 FROM p WHERE licence IS NOT NULL AND licence <= DATE '{as_of}'),
    first AS (SELECT person_id, min(day) AS first_day FROM s.ai_usage_day WHERE day <= DATE '{as_of}' GROUP BY 1),
    recent AS (SELECT person_id, count(DISTINCT date_diff('day', day, DATE '{as_of}') // 7) AS weeks
               FROM s.ai_usage_day WHERE day >= DATE '{as_of}' - INTERVAL 27 DAY AND day <= DATE '{as_of}' GROUP BY 1),
    copilot AS (SELECT person_id, count(*) AS n, sum(coalesce(suggestions, 0)) AS g, sum(coalesce(acceptances, 0)) AS a,
                       sum(coalesce(loc_added, 0)) AS loc
                FROM s.ai_usage_day WHERE tool = 'github-copilot' AND day >= DATE '{as_of}' - INTERVAL 27 DAY
                  AND day <= DATE '{as_of}' GROUP BY 1),
    m365 AS (SELECT person_id, count(DISTINCT app) AS apps FROM s.ai_usage_day
             WHERE tool = 'm365-copilot' AND app <> 'any' AND day >= DATE '{as_of}' - INTERVAL 27 DAY
               AND day <= DATE '{as_of}' GROUP BY 1),
    trained AS (SELECT person_id, bool_or(kind = 'training') AS trained, bool_or(kind = 'certification') AS certified
                FROM s.training_record WHERE completed_on <= DATE '{as_of}' GROUP BY 1),
    base AS (SELECT lic.*, first.first_day,
               date_diff('day', DATE '1970-01-01', coalesce(lic.adopted, first.first_day)) AS pv
             FROM lic LEFT JOIN first ON first.person_id = lic.id),
    items AS (SELECT base.id, floor(w.r) AS day, w.r, w.st, base.pv FROM base JOIN w ON w.person_id = base.id
              WHERE w.r IS NOT NULL AND base.pv + {SPAN} <= {end - 1}
                AND floor(w.r) >= base.pv - {SPAN} AND floor(w.r) < base.pv + {SPAN}),
    moved AS (SELECT id,
        count(*) FILTER (WHERE day < pv) AS n_before, count(*) FILTER (WHERE day >= pv) AS n_after,
        median((r - st) * 24) FILTER (WHERE day < pv AND st IS NOT NULL AND r >= st) AS cycle_before,
        median((r - st) * 24) FILTER (WHERE day >= pv AND st IS NOT NULL AND r >= st) AS cycle_after
      FROM items GROUP BY id),
    stages AS (SELECT base.id, base.team_id,
        first_day IS NOT NULL AS activated,
        first_day IS NOT NULL AND coalesce(recent.weeks, 0) > 0 AS active,
        first_day IS NOT NULL AND coalesce(recent.weeks, 0) >= 3 AS sustained,
        (CASE WHEN coalesce(copilot.n, 0) > 0
              THEN (copilot.g > 0 AND copilot.a / copilot.g >= 0.25) OR copilot.loc > 0
              ELSE coalesce(m365.apps, 0) >= 2 END)
          OR coalesce((n_before > 0 AND n_after >= 1.1 * n_before)
                      OR (cycle_before > 0 AND cycle_after <= 0.9 * cycle_before), FALSE) AS integrated,
        coalesce(trained.trained, FALSE) AS trained, coalesce(trained.certified, FALSE) AS certified
      FROM base LEFT JOIN recent ON recent.person_id = base.id LEFT JOIN copilot ON copilot.person_id = base.id
      LEFT JOIN m365 ON m365.person_id = base.id LEFT JOIN moved ON moved.id = base.id
      LEFT JOIN trained ON trained.person_id = base.id)
    SELECT GROUPING(team_id) AS is_org, team_id, count(*) AS licensed, count(*) FILTER (WHERE activated),
      count(*) FILTER (WHERE active), count(*) FILTER (WHERE sustained),
      count(*) FILTER (WHERE sustained AND integrated),
      count(*) FILTER (WHERE trained), count(*) FILTER (WHERE certified),
      count(*) FILTER (WHERE sustained AND integrated AND trained)
    FROM stages GROUP BY GROUPING SETS ((), (team_id)) ORDER BY is_org DESC, team_id
    """).fetchall()
    since = as_of - dt.timedelta(days=365)
    use_cases = q(f"""
    WITH f AS (
      SELECT lower(regexp_replace(trim(use_case), '[\\s_\\-]+', ' ', 'g')) AS k,
             outcome IN ('fixed', 'discarded') OR minutes_correcting > 0 AS corrected,
             CASE WHEN minutes_saved IS NOT NULL OR outcome = 'discarded' THEN
               (CASE WHEN outcome = 'discarded' OR minutes_saved IS NULL THEN 0 ELSE minutes_saved END)
               - minutes_correcting END AS net
      FROM s.friction_entry WHERE logged_on >= DATE '{since}' AND logged_on <= DATE '{as_of}'),
    fb AS (
      SELECT lower(regexp_replace(trim(use_case), '[\\s_\\-]+', ' ', 'g')) AS k, kind
      FROM s.feedback_item WHERE received_on >= DATE '{since}' AND received_on <= DATE '{as_of}'
        AND kind IN ('working', 'friction') AND use_case IS NOT NULL)
    SELECT k, count(*), count(*) FILTER (WHERE corrected), count(net), avg(net),
      (SELECT count(*) FILTER (WHERE kind = 'working') FROM fb WHERE fb.k = f.k),
      (SELECT count(*) FROM fb WHERE fb.k = f.k)
    FROM f GROUP BY k ORDER BY k
    """).fetchall()
    features = q(f"""
    SELECT feature, count(DISTINCT user_login), sum(generations), sum(acceptances)
    FROM s.copilot_user_day_feature
    WHERE day >= DATE '{since}' AND day <= DATE '{as_of}'
    GROUP BY 1 ORDER BY 1
    """).fetchall()
    con.close()
    return {
        "organisation": organisation,
        "realities": realities,
        "perceived": perceived,
        "funnel": funnel,
        "use_cases": use_cases,
        "features": features,
    }
