"""`escalation record CASE_REF`: the case's file, from the database only."""

from __future__ import annotations

from starter.cli import main

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
        f"| 1 | {S1} | 30 Sep 2030 10:00 BST | 07 Oct 2030 17:00 BST | 07 Oct 2030 17:00 BST | deadline passed: escalated | missed |",
        f"| 2 | {S2} | 07 Oct 2030 17:00 BST | 14 Oct 2030 17:00 BST | 14 Oct 2030 17:00 BST | deadline passed: escalated | missed |",
        f"| 3 | {S3} | 14 Oct 2030 17:00 BST | 16 Oct 2030 17:00 BST | 16 Oct 2030 17:00 BST | deadline passed: escalated | missed |",
        f"| 4 | {S4} | 16 Oct 2030 17:00 BST | 23 Oct 2030 17:00 BST | 04 Nov 2030 09:00 GMT | resolved | missed |",
        "| 04 Nov 2030 09:00 GMT | lscb_chair | H. Independent Chair | resolved | Recommendations issued |",
    ):
        assert row in first, row
    assert "### Written confirmations\n\nNone recorded." in first
    for row in (
        f"| 1 | {S1} | 04 Nov 2030 10:00 GMT | 11 Nov 2030 17:00 GMT | 06 Nov 2030 11:00 GMT | resolved | met |",
        "| 06 Nov 2030 11:00 GMT | practitioners | B. Social Worker | resolved | Strategy discussion agreed |",
        "| 07 Nov 2030 10:00 GMT | practitioners | B. Social Worker | 08 Nov 2030 17:00 GMT | in time | Letter of 7 November |",
    ):
        assert row in second, row
    told = [
        line
        for line in second.split("### Who was told")[1].split("###")[0].splitlines()
        if line.startswith("| 0")
    ]
    assert [c.split(" | ")[1:2] + c.split(" | ")[3:5] for c in told] == [
        ["stage_entered", "sent", "1"],
        ["resolved", "sent", "1"],
        ["closed", "sent", "1"],
    ]
    assert told[0].startswith(
        "| 04 Nov 2030 10:00 GMT | stage_entered | dsl@school.example.org, cpat.duty@council.example.org |"
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
    assert f"<title>{S4}: missed</title>" in html
    assert f"<title>{S1}: met</title>" in html
    assert "<title>deadline 23 Oct 2030 17:00 BST</title>" in html
    assert "<td>Recommendations issued</td>" in html
    assert '<td class="missed">missed</td>' in html
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
        r for r in rows if r[1] == "stage_entered" and "head@school.example.org" in r[2]
    ]
    assert [r[0] for r in line_managers] == ["| 11 Nov 2030 17:00 GMT"]
    assert line_managers[0][3:5] == ["sent", "1"]
    assert line_managers[0][5].startswith("left.in.2029@council.example.org: 550 5.1.1")
    reports = [r for r in rows if r[1] == "delivery_failed"]
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
