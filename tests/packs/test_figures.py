"""Every figure has a source: a shipped pack's stage figures are its document's, quoted.

For every shipped pack (whoever wrote it), every stage timescale (working days, calendar
days or weeks) carries a ``timescale_note`` quoting the sentence of the procedure document it
comes from, and the quoted words are in that document. A stage the document gives no figure
has none in the pack: loaded as shipped it is unset, and only the partnership's local
settings (here the demo ones `escalation dev` and the tests use) give it one.

The documents are the seeds beside the repository (``../shared/seeds``, or the directory
named by ``ESCALATION_SEEDS``); each pack's ``source`` names its file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from models.pack import PolicyPack, StageSpec
from packs import load_pack, pack_ids

ROOT = Path(__file__).resolve().parents[2]
DEMO_SETTINGS = ROOT / "examples" / "local-settings"
SEEDS = Path(os.environ.get("ESCALATION_SEEDS") or ROOT.parent / "shared" / "seeds")
SHIPPED = pack_ids()
UNIT_FIELDS = ("timescale_working_days", "timescale_calendar_days", "timescale_weeks")
GONE = ("default_timescale_working_days", "immediate_risk_working_days")
"""Fields a pack no longer has; a [[decisions]] entry naming one is no longer true."""

_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    """Whitespace collapsed, curly quotes straightened: how a quote is compared."""
    return " ".join(text.translate(_TYPOGRAPHY).split())


def quoted_words(note: str) -> list[str]:
    """The document's words in a note: each "double-quoted" part (split at an ellipsis),
    or, with no quotes, what follows a section prefix such as '4.5: '."""
    parts = re.findall(r'"([^"]+)"', note.translate(_TYPOGRAPHY))
    if not parts:
        prefix = re.match(r"[^:\"]{1,40}: ", note)  # e.g. "4.5: " or "Flowchart, stage 3: "
        parts = [note[prefix.end() :] if prefix else note]
    words = []
    for part in parts:
        words += [w.strip() for w in re.split(r"\.\.\.|\u2026", part) if w.strip()]
    return words


def seed_text(pack: PolicyPack) -> str:
    name = pack.source.split(":", 1)[0].strip()
    assert name.endswith(".txt"), f"{pack.id}: source must name its document first: {name!r}"
    path = SEEDS / name
    if not SEEDS.is_dir():
        pytest.skip(f"the seed documents are not here ({SEEDS}); set ESCALATION_SEEDS")
    assert path.is_file(), f"{pack.id}: source names {name}, not in {SEEDS}"
    return normalise(path.read_text(encoding="utf-8"))


def stages(pack: PolicyPack) -> list[tuple[str, StageSpec]]:
    return [(lad.id, s) for lad in pack.ladders for s in lad.stages]


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_every_stage_figure_quotes_its_document(pack_id: str) -> None:
    pack = load_pack(pack_id, local=False)
    seed = seed_text(pack)
    missing, not_in_seed = [], []
    for ladder_id, stage in stages(pack):
        figure = pack.figure(stage)
        if figure is None:
            continue
        where = f"{ladder_id}.{stage.id}"
        assert figure.source == "document", where
        note = (stage.timescale_note or "").strip()
        if not note:
            missing.append(where)
            continue
        words = quoted_words(note)
        not_in_seed += [f"{where}: {w!r}" for w in words if normalise(w) not in seed]
    assert not missing, f"{pack_id}: figures without a timescale_note quote: {missing}"
    assert not not_in_seed, f"{pack_id}: quoted words not in the document: {not_in_seed}"


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_a_stage_without_a_document_figure_is_unset_as_shipped(pack_id: str) -> None:
    pack = load_pack(pack_id, local=False)
    for ladder in pack.ladders:
        # A stage agreed per case (Sutton's formal process) is never "unset".
        figureless = [s.id for s in ladder.stages if pack.figure(s) is None and not s.per_case]
        own_unset = [s.id for s in pack.unset_stages(ladder) if s in ladder.stages]
        assert own_unset == figureless, ladder.id
        for stage in ladder.stages:
            given = [f for f in UNIT_FIELDS if getattr(stage, f) is not None]
            assert len(given) <= 1, f"{ladder.id}.{stage.id}: {given}"
            if not given:
                # No figure, no note, nobody: the partnership sets it.
                assert stage.timescale_note is None, f"{ladder.id}.{stage.id}"
                assert stage.timescale_set_by is None and stage.timescale_set_on is None


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_the_demo_settings_give_every_stage_a_figure(pack_id: str) -> None:
    shipped = load_pack(pack_id, local=False)
    pack = load_pack(pack_id, local_dir=DEMO_SETTINGS)
    for ladder in pack.ladders:
        assert pack.unset_stages(ladder) == [], ladder.id
    for (ladder_id, before), (_, after) in zip(stages(shipped), stages(pack), strict=True):
        was, now = shipped.figure(before), pack.figure(after)
        assert now is not None
        if was is None:
            assert now.source == "local" and now.set_by and now.set_on, f"{ladder_id}.{after.id}"
            assert "demo" in (now.set_by + " " + (now.quote or "")).lower()
        else:
            assert now == was, f"{ladder_id}.{after.id}: a local setting replaced the document"


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_no_decision_names_a_figure_the_packs_no_longer_have(pack_id: str) -> None:
    pack = load_pack(pack_id, local=False)
    for decision in pack.decisions:
        text = " ".join([decision.seed_says, decision.pack_uses, decision.reason])
        assert not [g for g in GONE if g in text], decision.topic
