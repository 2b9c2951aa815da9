"""The record export's Markdown: what people typed comes out as text, never as markup."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from records.casefile import CaseFile
from records.export import markdown_text, render_markdown
from records.names import Names
from records.schema import DecisionRow, Disagreement

AT = datetime.fromisoformat("2026-12-21T10:00:00+00:00")
HOSTILE = (
    "<script>alert(1)</script> [click](javascript:alert(1)) ![i](https://x.example/t.png)"
    " # heading | split `code` **bold** _em_ ~~gone~~ &amp; <b>x</b> \\"
)


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("# heading", "\\# heading"),
        ("a | b", "a \\| b"),
        ("`rm -rf`", "\\`rm -rf\\`"),
        ("*a* _b_ ~~c~~", "\\*a\\* \\_b\\_ \\~\\~c\\~\\~"),
        ("&amp; \\", "&amp;amp; \\\\"),
        (
            "lscb_chair B. Social Worker (CSC): 7 November",
            "lscb_chair B. Social Worker (CSC): 7 November",
        ),
    ],
)
def test_markdown_cells_escape_html_and_markdown(text: str, inert: str) -> None:
    assert markdown_text(text) == inert


def test_every_free_text_of_the_record_is_inert() -> None:
    row = Disagreement(
        workflow_id="disagreement-CR-2026-00417-d1",
        case_reference="CR-2026-00417",
        procedure="no-such-pack",
        ladder="individual",
        partnership=HOSTILE,
        raising_agency=HOSTILE,
        receiving_agency=HOSTILE,
        nature=HOSTILE,
        risk_to_child=HOSTILE,
        aim=HOSTILE,
        raised_at=AT,
        raised_late=False,
        immediate_risk=False,
        state="open",
    )
    decision = DecisionRow(
        at=AT, stage_id="practitioners", actor=HOSTILE, kind="resolved", text=HOSTILE
    )
    md = render_markdown("CR-2026-00417", [CaseFile(row, Names("P"), decisions=[decision])], AT)
    assert "<" not in md and ">" not in md  # no tag, autolink or raw HTML at all
    assert "](" not in md.replace("\\](", "")  # no link or image
    assert not re.search(r"(?<!\\)`", md)  # no code span
    assert not re.search(r"(?<!\\)\*\*", md)
    assert "\\# heading \\| split" in md
    for line in md.splitlines():
        if line.startswith("|"):  # a '|' the writer typed never adds a column
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) in (4, 7, 8), line
    [decided] = [line for line in md.splitlines() if "| resolved |" in line]
    assert decided.startswith("| 21 Dec 2026 10:00 GMT | Practitioners | &lt;script&gt;")
