"""Every code a document or a page can show has words in French and English."""

from __future__ import annotations

import typing

import pytest

from bench_agent import vocabulary
from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading.categories import BAND_CATEGORIES, BLOCKING_CATEGORIES
from bench_agent.model.inventory import Disk, Identity, Transport
from bench_agent.model.report import FunctionalTest
from central_inventory.ingest import ERASURE_STATES, STATUSES
from wipe.model import CertificateResult


def _literal(tp: object) -> tuple[str, ...]:
    args = typing.get_args(tp)
    if args and all(isinstance(a, str) for a in args):
        return args
    return tuple(v for a in args for v in _literal(a))


CODES: dict[str, tuple[str, ...]] = {
    "category": BAND_CATEGORIES + BLOCKING_CATEGORIES,
    "status": STATUSES,
    "erasure_result": tuple(r.value for r in CertificateResult),
    "erasure_state": ERASURE_STATES,
    "test": tuple(spec.name for spec in CATALOGUE),
    "test_result": _literal(typing.get_type_hints(FunctionalTest)["result"]),
    "form_factor": _literal(typing.get_type_hints(Identity)["form_factor"]),
    "media": _literal(typing.get_type_hints(Disk)["media"]),
    "transport": _literal(Transport),
}


@pytest.mark.parametrize("kind", sorted(CODES))
def test_every_code_has_words_in_both_languages(kind: str) -> None:
    assert CODES[kind], kind
    for code in CODES[kind]:
        assert vocabulary.known(kind, code), (kind, code)
        fr, en = vocabulary.word(kind, code, "fr"), vocabulary.word(kind, code, "en")
        assert fr and en, (kind, code)
        if "_" in code or (code.islower() and len(code) > 3):
            # A machine code (NOT_DISTRIBUTABLE, battery_autonomy, laptop) is never shown.
            assert code not in (fr, en), (kind, code, fr, en)


def test_categories_best_first_and_words_not_codes() -> None:
    assert [c for c, _ in vocabulary.choices("category", "fr")] == [
        "PREMIUM", "A", "B", "C", "D", "TO_REPAIR", "NOT_DISTRIBUTABLE",
    ]  # fmt: skip
    assert vocabulary.word("category", "NOT_DISTRIBUTABLE", "fr") == "NON DISTRIBUABLE"
    assert vocabulary.word("category", "NOT_DISTRIBUTABLE", "en") == "NOT DISTRIBUTABLE"
    assert vocabulary.word("status", "PRET_A_DISTRIBUER", "en") == "Ready to distribute"


def test_unknown_code_is_shown_as_written_and_unknown_kind_refused() -> None:
    assert vocabulary.word("status", "NOUVEAU_STATUT", "fr") == "NOUVEAU_STATUT"
    assert vocabulary.word("status", None, "fr") == "—"
    assert vocabulary.word("method", "zero", "en") != "zero"
    with pytest.raises(ValueError, match="unknown vocabulary kind"):
        vocabulary.word("colour", "red", "fr")
