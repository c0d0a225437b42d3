"""The English catalogue matches the code, and messages render as written.

French is the source language (the msgids); ``bench_agent/locale/en/LC_MESSAGES/
bench_agent.po`` holds the English and its compiled ``.mo`` is what the bench reads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench_agent.context import Environment
from bench_agent.i18n import C_, N_, MessageFieldError, _t, join, render, translator
from bench_agent.model.common import Text
from tools import i18n_catalogue as catalogue

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extracted() -> dict[catalogue.Key, set[str]]:
    return catalogue.extract()


@pytest.fixture(scope="module")
def messages() -> dict[catalogue.Key, str]:
    return {
        (m.id, m.context): m.string
        for m in catalogue.read()
        if m.id and isinstance(m.id, str) and isinstance(m.string, str)
    }


def test_every_message_of_the_code_is_in_the_catalogue(
    extracted: dict[catalogue.Key, set[str]], messages: dict[catalogue.Key, str]
) -> None:
    missing = sorted(set(extracted) - set(messages), key=str)
    assert not missing, "not in the catalogue (run `make i18n`):\n" + "\n".join(
        f"  {catalogue.show(k)} in {', '.join(sorted(extracted[k]))}" for k in missing
    )


def test_every_message_of_the_catalogue_is_used(
    extracted: dict[catalogue.Key, set[str]], messages: dict[catalogue.Key, str]
) -> None:
    unused = sorted(set(messages) - set(extracted), key=str)
    assert not unused, "in the catalogue, not in the code (run `make i18n`):\n" + "\n".join(
        f"  {catalogue.show(k)}" for k in unused
    )


def test_every_message_is_translated(messages: dict[catalogue.Key, str]) -> None:
    empty = sorted((k for k, v in messages.items() if not v), key=str)
    assert not empty, "no English yet:\n" + "\n".join(f"  {catalogue.show(k)}" for k in empty)


def test_the_english_has_the_same_placeholders(messages: dict[catalogue.Key, str]) -> None:
    wrong = []
    for (msgid, context), msgstr in sorted(messages.items(), key=str):
        try:
            if sorted(catalogue.fields(msgid)) != sorted(catalogue.fields(msgstr)):
                wrong.append(f"  {msgid!r} → {msgstr!r}")
        except ValueError as exc:
            wrong.append(f"  {msgid!r} → {msgstr!r}: {exc}")
        del context
    assert not wrong, "placeholders differ or are malformed:\n" + "\n".join(wrong)


def test_the_committed_mo_is_the_po_compiled() -> None:
    assert catalogue.MO.read_bytes() == catalogue.mo_bytes(catalogue.read()), (
        f"{catalogue.MO.relative_to(ROOT)} is stale: run `make i18n`"
    )


def test_the_po_is_written_as_the_tool_writes_it() -> None:
    """Sorted, no line numbers, no changing dates: `make i18n` on unchanged code is a no-op."""
    assert catalogue.PO.read_bytes() == catalogue.po_bytes(catalogue.read())


def test_a_message_has_both_languages() -> None:
    text = _t(
        "Disque {name} : aucun certificat d'effacement → {effect}",
        name="sda",
        effect=_t("à réparer"),
    )
    assert text == Text(
        fr="Disque sda : aucun certificat d'effacement → à réparer",
        en="Disk sda: no erasure certificate → to repair",
    )


def test_a_text_field_gives_each_language_its_own_side() -> None:
    reason = Text(fr="disque de démarrage", en="boot disk")
    assert _t("Refusé : {reason}", reason=reason) == Text(
        fr="Refusé : disque de démarrage", en="Refusé : boot disk"
    )


def test_format_specs_and_doubled_braces() -> None:
    assert render("{pct:.0f} % {{brut}}", "fr", {"pct": 42.4}) == "42 % {brut}"


def test_a_missing_field_names_the_message_and_the_field() -> None:
    with pytest.raises(MessageFieldError) as raised:
        _t("Disque {name} : HS", disk="sda")
    assert "Disque {name} : HS" in str(raised.value)
    assert "'name'" in str(raised.value)
    assert "disk" in str(raised.value)


def test_a_context_separates_two_english_words_for_one_french() -> None:
    assert _t(C_("test", "ÉCHEC")) == Text(fr="ÉCHEC", en="FAIL")
    assert _t(C_("autotest", "ÉCHEC")) == Text(fr="ÉCHEC", en="FAILED")


def test_marked_messages_translate_where_shown() -> None:
    word = N_("Carte graphique")
    assert word == "Carte graphique"
    assert translator("en")(word) == "GPU"
    assert translator("fr")(word) == "Carte graphique"


def test_join_keeps_each_language_typography() -> None:
    parts = [Text(fr="a", en="a"), Text(fr="b", en="b")]
    assert join(_t(" ; "), parts) == Text(fr="a ; b", en="a; b")


def test_the_environment_speaks_its_language() -> None:
    env = Environment(environ={}, lang="fr")
    assert env._("Carte graphique") == "Carte graphique"
    env.lang = "en"
    assert env._("Carte graphique") == "GPU"


def test_a_message_outside_the_catalogue_stays_french_in_english() -> None:
    assert render("pas dans le catalogue", "en", {}) == "pas dans le catalogue"


def test_importing_the_bench_reads_no_catalogue() -> None:
    """No import-time side effect: the .mo is read the first time English is needed."""
    code = (
        "import importlib, pkgutil, bench_agent, bench_agent.i18n as i\n"
        "for m in pkgutil.walk_packages(bench_agent.__path__, 'bench_agent.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "assert i.english.cache_info().currsize == 0, 'read at import'\n"
        "i._t('Carte graphique')\n"
        "assert i.english.cache_info().currsize == 1\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
