"""`escalation report --quarter 2030Q4`: exact figures from the scenario's quarter."""

from __future__ import annotations

from starter.cli import main

TEXT = """\
Quarterly figures 2030Q4: 1 October 2030 to 31 December 2030, all procedures

Disagreements
  opened: 3
  closed: 3
  resolved, by stage:
    Stage 1: practitioner and decision maker: 1
    Stage 2: line managers: 1
    Stage 3: senior managers: 1
    Stage 4: LSCB Chair: 1
  deadlines met / missed, by stage:
    Stage 1: practitioner and decision maker: met 2, missed 2
    Stage 2: line managers: met 1, missed 2
    Stage 3: senior managers: met 1, missed 1
    Stage 4: LSCB Chair: met 0, missed 1
    Written confirmation of the outcome: met 1, missed 2
  median working days from raising to resolution: 7.5 (4 resolved)

Practice alerts
  opened: 2
  closed (finalised): 1
  themes (reason codes):
    assessment_late: {assessment}: 1
    statutory_visit_late: Statutory visit not undertaken within required timescale: 1
  timescales met / missed, by stage:
    Stage 1: Team Manager: met 1, missed 1
    Stage 2: Service Manager: met 1, missed 0
"""


def test_quarterly_figures_as_text(quarter, capsys) -> None:
    assert main(["report", "--quarter", "2030Q4", "--database-url", quarter.url]) == 0
    out = capsys.readouterr().out
    from packs import load_pack

    titles = {r.code: r.title for r in load_pack("rutland").practice_alerts.reason_codes}
    assert out == TEXT.format(assessment=titles["assessment_late"])


def test_one_procedure_and_another_quarter(quarter, capsys) -> None:
    args = ["report", "--database-url", quarter.url]
    assert main([*args, "--quarter", "2030q4", "--procedure", "rutland"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Quarterly figures 2030Q4: 1 October 2030 to 31 December 2030, procedure rutland\n"
    )
    assert "  opened: 3\n" not in out and "Disagreements\n  opened: 0\n  closed: 0\n" in out
    assert "Practice alerts\n  opened: 2\n  closed (finalised): 1\n" in out

    assert main([*args, "--quarter", "2030Q3"]) == 0
    out = capsys.readouterr().out
    assert "Disagreements\n  opened: 1\n  closed: 0\n  resolved, by stage:\n    none\n" in out
    assert "  deadlines met / missed, by stage:\n    none\n" in out
    assert "  median working days from raising to resolution: none resolved\n" in out


def test_quarterly_figures_as_html_with_charts(quarter, tmp_path, capsys) -> None:
    page = tmp_path / "q4.html"
    assert (
        main(
            [
                "report",
                "--quarter",
                "2030Q4",
                "--format",
                "html",
                "--out",
                str(page),
                "--database-url",
                quarter.url,
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == f"wrote {page}"
    html = page.read_text()
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 4
    assert "<title>Deadlines met and missed, by stage</title>" in html
    assert "<title>Stage 1: practitioner and decision maker: 2 missed</title>" in html
    assert (
        "<title>statutory_visit_late: Statutory visit not undertaken within required timescale: 1 alerts</title>"
        in html
    )
    assert (
        '<td>Median working days from raising to resolution</td><td class="n">7.5 (4 resolved)</td>'
        in html
    )
    assert "<script" not in html and "src=" not in html and "href=" not in html


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
