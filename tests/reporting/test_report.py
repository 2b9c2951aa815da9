"""`escalation report --quarter 2030Q4`: exact figures from the scenario's quarter."""

from __future__ import annotations

from starter.cli import main
from tests.reporting.page import Picture, Table, blocks, pictures

REDBRIDGE = (
    "Redbridge LSCB Resolution and Escalation Policy (3rd edition, May 2017) (redbridge-2017)"
)
RUTLAND = (
    "Rutland Professional Disagreements Resolution, CP and CLA Escalation and Practice Alerts "
    "Guidance (rutland)"
)
TEXT = """\
Quarterly figures 2030Q4: 1 October 2030 to 31 December 2030, all procedures

{redbridge}

  Disagreements
    opened: 3
    closed: 3
    open at quarter end: 1
    overdue at quarter end: 1
    resolved, by stage:
      Stage 1: practitioner and decision maker: 1
      Stage 2: line managers: 1
      Stage 3: senior managers: 1
      Stage 4: LSCB Chair: 1
    deadlines, by stage:
      Stage 1: practitioner and decision maker: resolved in time 1, escalated before its deadline 1, deadline passed 2
      Stage 2: line managers: resolved in time 1, escalated before its deadline 0, deadline passed 2
      Stage 3: senior managers: resolved in time 1, escalated before its deadline 0, deadline passed 1
      Stage 4: LSCB Chair: resolved in time 0, escalated before its deadline 0, deadline passed 1
    written confirmations of the outcome: in time 1, late 2
    median working days from raising to resolution: 7.5 (4 resolved)

{rutland}

  Disagreements
    opened: 0
    closed: 0
    open at quarter end: 0
    overdue at quarter end: 0
    resolved, by stage:
      none
    deadlines, by stage:
      none
    written confirmations of the outcome: in time 0, late 0
    median working days from raising to resolution: none resolved

  Practice alerts
    opened: 2
    closed (finalised): 1
    open at quarter end: 1
    overdue at quarter end: 0
    themes (reason codes):
      assessment_late: {assessment}: 1
      statutory_visit_late: Statutory visit not undertaken within required timescale: 1
    timescales met / missed, by stage:
      Stage 1: Team Manager: met 1, missed 1
      Stage 2: Service Manager: met 1, missed 0
"""


def test_quarterly_figures_as_text_one_block_per_procedure(quarter, capsys) -> None:
    """Stage 1 of Redbridge: A resolved in time, C sent up in time, B and D ran out of time.
    C, resolved on 13 November, still owes its written confirmation at the quarter's end."""
    assert main(["report", "--quarter", "2030Q4", "--database-url", quarter.url]) == 0
    out = capsys.readouterr().out
    from packs import load_pack

    titles = {r.code: r.title for r in load_pack("rutland").practice_alerts.reason_codes}
    assert out == TEXT.format(
        redbridge=REDBRIDGE, rutland=RUTLAND, assessment=titles["assessment_late"]
    )


def test_one_procedure_and_another_quarter(quarter, capsys) -> None:
    args = ["report", "--database-url", quarter.url]
    assert main([*args, "--quarter", "2030q4", "--procedure", "rutland"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Quarterly figures 2030Q4: 1 October 2030 to 31 December 2030, procedure rutland\n"
    )
    assert REDBRIDGE not in out and RUTLAND in out
    assert "  Disagreements\n    opened: 0\n    closed: 0\n" in out
    assert "  Practice alerts\n    opened: 2\n    closed (finalised): 1\n" in out

    # D, raised on 30 September, was open (and not yet overdue) when Q3 ended.
    assert main([*args, "--quarter", "2030Q3"]) == 0
    out = capsys.readouterr().out
    assert RUTLAND not in out
    assert (
        f"{REDBRIDGE}\n\n  Disagreements\n    opened: 1\n    closed: 0\n"
        "    open at quarter end: 1\n    overdue at quarter end: 0\n"
        "    resolved, by stage:\n      none\n"
    ) in out
    assert "    deadlines, by stage:\n      none\n" in out
    assert "    median working days from raising to resolution: none resolved\n" in out

    assert main([*args, "--quarter", "2030Q1"]) == 0
    assert capsys.readouterr().out.endswith(
        "\nNo disagreements or practice alerts in this quarter.\n"
    )


def test_quarterly_figures_as_html_grouped_by_procedure_with_a_table_beside_every_chart(
    quarter, tmp_path, capsys
) -> None:
    page = tmp_path / "q4.html"
    args = ["report", "--quarter", "2030Q4", "--format", "html", "--out", str(page)]
    assert main([*args, "--database-url", quarter.url]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {page}"
    html = page.read_text()
    assert html.startswith("<!doctype html>")
    assert "<script" not in html and "src=" not in html and "href=" not in html
    found = blocks(html)
    headings = [text for kind, text in found if kind == "h2"]
    assert headings == [REDBRIDGE, RUTLAND]
    # Every chart is followed by a table of the same figures, captioned with its title.
    charts = [i for i, (kind, _) in enumerate(found) if kind == "svg"]
    assert len(charts) == 4
    for i in charts:
        chart, table = found[i][1], found[i + 1][1]
        assert isinstance(chart, Picture) and isinstance(table, Table)
        assert table.caption == chart.title
        head, *rows = table.rows
        shown = {
            f"{row[0]}: {n} {series}"
            for row in rows
            for series, n in zip(head[1:], row[1:], strict=True)
            if n != "0"
        }
        assert shown == set(chart.tooltips), chart.title
        labels = [row[0] for row in rows]
        assert [label for label in chart.labels if label in labels] == labels  # none cut short
    redbridge = found[: found.index(("h2", RUTLAND))]
    [deadlines] = [
        t for kind, t in redbridge if isinstance(t, Table) and t.caption.startswith("Deadlines")
    ]
    assert deadlines.rows == [
        ["Stage", "resolved in time", "escalated before its deadline", "deadline passed"],
        ["Stage 1: practitioner and decision maker", "1", "1", "2"],
        ["Stage 2: line managers", "1", "0", "2"],
        ["Stage 3: senior managers", "1", "0", "1"],
        ["Stage 4: LSCB Chair", "0", "0", "1"],
    ]
    figures = dict(
        tuple(row)
        for kind, t in redbridge
        if isinstance(t, Table) and not t.caption
        for row in t.rows[1:]
    )
    assert figures["Open at quarter end"] == "1" and figures["Overdue at quarter end"] == "1"
    assert figures["Median working days from raising to resolution"] == "7.5 (4 resolved)"
    themes = pictures(html)[2]
    assert themes.title == "Themes (reason codes)"
    assert (
        "statutory_visit_late: Statutory visit not undertaken within required timescale"
        in themes.labels
    )


def test_bad_quarter_and_procedure_are_refused(sqlite_url, capsys) -> None:
    for bad in ("2026Q5", "Q4 2026", "2026-4"):
        assert main(["report", "--quarter", bad, "--database-url", sqlite_url]) == 2
        assert capsys.readouterr().err == (
            f"escalation: --quarter: {bad!r} is not a quarter; write the year and Q1-Q4, e.g. 2026Q4\n"
        )
    assert (
        main(
            [
                "report",
                "--quarter",
                "2026Q4",
                "--procedure",
                "Red Bridge",
                "--database-url",
                sqlite_url,
            ]
        )
        == 2
    )
    assert "procedure: unknown procedure 'Red Bridge' (known: " in capsys.readouterr().err
