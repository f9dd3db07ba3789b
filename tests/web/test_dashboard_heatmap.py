"""The dashboard's heatmap through real HTTP: the organisation report's cells, each team
linking to its own report with the scope prefilled."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.report.service import dashboard_heatmap
from tests.web.conftest import sign_in


def test_the_dashboard_heatmap_links_each_team_to_its_report(
    client: TestClient, web_db: str
) -> None:
    sign_in(client, "leader")
    page = client.get("/dashboard")
    assert page.status_code == 200
    with session_scope(web_db) as session:
        heatmap = dashboard_heatmap(session, PrivacyPolicy())
    assert heatmap is not None
    teams = [r for r in heatmap.rows if r.kind == "team"]
    assert teams
    section = page.text[page.text.index('id="h-heatmap"') :]
    links = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a>', section)
    assert [(html.unescape(name)) for _, name in links] == [r.name for r in teams]
    for (href, _), row in zip(links, teams, strict=True):
        assert html.unescape(href) == f"/reports?scope=team%3A{row.key}"
    # Every cell is on the page: its value, or "Hidden" and the reason.
    for row in heatmap.rows:
        for cell in row.cells:
            if cell.value is None:
                assert cell.reason and cell.reason in html.unescape(section)
    # The link opens that team's report form with the scope chosen.
    href, _ = links[0]
    report_page = client.get(html.unescape(href))
    assert report_page.status_code == 200
    key = teams[0].key
    assert re.search(rf'<option value="team:{re.escape(key or "")}"[^>]*selected', report_page.text)
