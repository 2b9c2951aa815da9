"""`escalation record CASE_REF`: the case's file, from the database only."""

from __future__ import annotations

from starter.cli import main
from tests.reporting.page import Picture, Table, blocks, pictures, tables

S1, S2, S3, S4 = (
    "Stage 1: practitioner and decision maker",
    "Stage 2: line managers",
    "Stage 3: senior managers",
    "Stage 4: LSCB Chair",
)


def test_markdown_record_of_a_case_with_two_disagreements(quarter, capsys) -> None:
    assert main(["record", quarter.case_x, "--database-url", quarter.url]) == 0
    md = capsys.readouterr().out
    lines = md.splitlines()
    assert lines[0] == f"# Escalation record: case {quarter.case_x}"
    assert "2 disagreement(s). The child is identified by case reference only." in lines[2]
    d, a = quarter.ids["D"], quarter.ids["A"]
    assert md.index(f"## Disagreement 1: {d}") < md.index(f"## Disagreement 2: {a}")
    first, second = md.split(f"## Disagreement 2: {a}")
    assert "| State | closed (closed 04 Nov 2030 09:00 GMT) |" in first
    assert "| Raised at | 30 Sep 2030 10:00 BST |" in first
    for row in (
        f"| 1 | {S1} | 30 Sep 2030 10:00 BST | 07 Oct 2030 17:00 BST | 07 Oct 2030 17:00 BST | deadline passed: escalated | deadline passed |",
        f"| 2 | {S2} | 07 Oct 2030 17:00 BST | 14 Oct 2030 17:00 BST | 14 Oct 2030 17:00 BST | deadline passed: escalated | deadline passed |",
        f"| 3 | {S3} | 14 Oct 2030 17:00 BST | 16 Oct 2030 17:00 BST | 16 Oct 2030 17:00 BST | deadline passed: escalated | deadline passed |",
        f"| 4 | {S4} | 16 Oct 2030 17:00 BST | 23 Oct 2030 17:00 BST | 04 Nov 2030 09:00 GMT | resolved | deadline passed |",
        f"| 04 Nov 2030 09:00 GMT | {S4} | H. Independent Chair | resolved | Recommendations issued |",
    ):
        assert row in first, row
    assert "### Written confirmations\n\nNone recorded." in first
    for row in (
        f"| 1 | {S1} | 04 Nov 2030 10:00 GMT | 11 Nov 2030 17:00 GMT | 06 Nov 2030 11:00 GMT | resolved | resolved in time |",
        f"| 06 Nov 2030 11:00 GMT | {S1} | B. Social Worker | resolved | Strategy discussion agreed |",
        f"| 07 Nov 2030 10:00 GMT | {S1} | B. Social Worker | 08 Nov 2030 17:00 GMT | in time | Letter of 7 November |",
    ):
        assert row in second, row
    told = [
        line
        for line in second.split("### Who was told")[1].split("###")[0].splitlines()
        if line.startswith("| 0")
    ]
    assert [c.split(" | ")[1:2] + c.split(" | ")[3:5] for c in told] == [
        ["stage entered", "sent", "1"],
        ["resolved", "sent", "1"],
        ["closed", "sent", "1"],
    ]
    assert told[0].startswith(
        "| 04 Nov 2030 10:00 GMT | stage entered | dsl@school.example.org, cpat.duty@council.example.org |"
    )


def test_html_record_is_one_self_contained_page_with_a_timeline(quarter, tmp_path, capsys) -> None:
    page = tmp_path / "record.html"
    assert (
        main(
            [
                "record",
                quarter.case_x,
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
    html = page.read_text()
    assert html.count("<svg") == 2
    assert html.count("<title>Stages against their deadlines</title>") == 2
    assert f"<title>{S4}: deadline passed</title>" in html
    assert f"<title>{S1}: resolved in time</title>" in html
    assert "<title>deadline 23 Oct 2030 17:00 BST</title>" in html
    assert "<td>Recommendations issued</td>" in html
    assert '<td class="missed">deadline passed</td>' in html
    assert '<td class="met">resolved in time</td>' in html
    # Each timeline names every stage in full (wrapped, never cut short), beside its table.
    found = blocks(html)
    for i, (kind, shown) in enumerate(found):
        if kind != "svg":
            continue
        assert isinstance(shown, Picture)
        heading, stages = found[i + 1], found[i + 2]
        assert heading == ("h3", "Stages") and isinstance(stages[1], Table)
        titles = [row[1] for row in stages[1].rows[1:]]
        assert [label for label in shown.labels if label in titles] == titles
        assert not any("…" in label for label in shown.labels)
    [first, _] = pictures(html)
    assert first.labels[:4] == [S1, S2, S3, S4]
    assert [t.rsplit(": ", 1)[1] for t in first.tooltips if not t.startswith("deadline")] == [
        "deadline passed"
    ] * 4
    assert "<script" not in html and "src=" not in html and "href=" not in html


def test_unknown_case_is_not_found(quarter, capsys) -> None:
    assert main(["record", "CR-nobody", "--database-url", quarter.url]) == 1
    assert (
        capsys.readouterr().err
        == "escalation: case_reference: no disagreement recorded for CR-nobody\n"
    )


def test_a_refused_address_shows_in_the_record_with_the_business_managers_report(
    quarter, capsys
) -> None:
    assert main(["record", quarter.case_b, "--database-url", quarter.url]) == 0
    told = capsys.readouterr().out.split("### Who was told")[1].split("###")[0]
    rows = [line.split(" | ") for line in told.splitlines() if line.startswith("| 1")]
    line_managers = [
        r for r in rows if r[1] == "stage entered" and "head@school.example.org" in r[2]
    ]
    assert [r[0] for r in line_managers] == ["| 11 Nov 2030 17:00 GMT"]
    assert line_managers[0][3:5] == ["sent", "1"]
    assert line_managers[0][5].startswith("left.in.2029@council.example.org: 550 5.1.1")
    reports = [r for r in rows if r[1] == "delivery failed"]
    assert [(r[0], r[2], r[3]) for r in reports][:1] == [
        ("| 11 Nov 2030 17:00 GMT", "lscb@council.example.org", "sent")
    ]


def test_the_record_of_a_case_with_a_practice_alert_reads_it_out(quarter, capsys) -> None:
    """The case's record carries its practice alerts in plain words (the conference briefing),
    even where no disagreement was ever raised on the case."""
    case = quarter.ids["alert2"].removeprefix("alert-").rsplit("-", 1)[0]
    assert main(["record", case, "--database-url", quarter.url]) == 0
    md = capsys.readouterr().out
    assert "Practice alerts on this case" in md
    assert "sent the alert up to the Service Manager" in md
    assert "the Service Manager responded in time" in md


def _case(workflow_id: str) -> str:
    return workflow_id.removeprefix("disagreement-").rsplit("-", 1)[0]


def test_the_record_tells_escalated_in_time_from_deadline_passed_in_words_not_ids(
    quarter, tmp_path, capsys
) -> None:
    """C: unresolved on day 2 (sent up in time), stage 2 ran out of time, resolved at stage 3;
    the written confirmation, due from the receiving senior manager, never came."""
    case = _case(quarter.ids["C"])
    assert main(["record", case, "--database-url", quarter.url]) == 0
    md = capsys.readouterr().out
    for row in (
        f"| 1 | {S1} | 04 Nov 2030 10:00 GMT | 11 Nov 2030 17:00 GMT | 05 Nov 2030 10:00 GMT | unresolved: escalated | escalated before its deadline |",
        f"| 2 | {S2} | 05 Nov 2030 10:00 GMT | 12 Nov 2030 17:00 GMT | 12 Nov 2030 17:00 GMT | deadline passed: escalated | deadline passed |",
        f"| 3 | {S3} | 12 Nov 2030 17:00 GMT | 14 Nov 2030 17:00 GMT | 13 Nov 2030 15:00 GMT | resolved | resolved in time |",
        f"| 05 Nov 2030 10:00 GMT | {S1} | B. Social Worker | unresolved | Threshold not met in our view |",
        f"| (awaited) | {S3} | Senior manager (or named safeguarding doctor/nurse), receiving agency | 15 Nov 2030 17:00 GMT | late |  |",
        "| 12 Nov 2030 17:00 GMT | deadline passed | Stage 2: line managers |  |  |",
        "| Ladder | Professional disagreement about an individual child |",
    ):
        assert row in md, row
    for raw in (
        "senior\\_managers",
        "senior_managers",
        "receiving.",
        "line_managers",
        "lscb_chair",
    ):
        assert raw not in md, raw
    page = tmp_path / "c.html"
    assert (
        main(
            ["record", case, "--format", "html", "--out", str(page), "--database-url", quarter.url]
        )
        == 0
    )
    html = page.read_text()
    [timeline] = pictures(html)
    assert timeline.labels[:3] == [S1, S2, S3]
    assert f"{S1}: escalated before its deadline" in timeline.tooltips
    assert {"escalated before its deadline", "deadline passed", "resolved in time"} <= set(
        timeline.labels
    )  # the legend names each colour
    cells = {cell for table in tables(html) for row in table.rows for cell in row}
    assert not any(raw in cell for cell in cells for raw in ("senior_managers", "receiving."))
    assert '<td class="escalated">escalated before its deadline</td>' in html
