"""The site's settings: site.toml and the kernel command line's bench.* words, one schema,
the command line winning; a wrong setting is a sentence and exit code 2, never a default."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.site import load_site, parse_cmdline, read_cmdline
from bench_agent.cli import main
from bench_agent.context import Environment

DEBIAN_LIVE = (
    "BOOT_IMAGE=/live/vmlinuz-6.1.0-28-amd64 initrd=/live/initrd.img boot=live "
    "components quiet splash locales=fr_FR.UTF-8 keyboard-layouts=fr "
)


def test_the_kernel_words_are_ignored_and_the_bench_words_read() -> None:
    text = DEBIAN_LIVE + (
        "bench.unattended=1 bench.central=https://inventaire.example.org bench.token=abc123 "
        'bench.site=GR bench.lang=en bench.keymap=fr bench.operator="automate (poste 3)" '
        "bench.erase_only=/dev/sda,/dev/nvme0n1 bench.after=wait\n"
    )
    assert parse_cmdline(text) == {
        "unattended": {
            "enabled": True,
            "operator": "automate (poste 3)",
            "erase_only": ["/dev/sda", "/dev/nvme0n1"],
            "after": "wait",
        },
        "central": {"url": "https://inventaire.example.org", "token": "abc123"},
        "name": "GR",
        "lang": "en",
        "keymap": "fr",
    }
    assert parse_cmdline(DEBIAN_LIVE) == {}
    # A bare word is yes; 0 / no / non is no.
    assert parse_cmdline("bench.unattended") == {"unattended": {"enabled": True}}
    assert parse_cmdline("bench.unattended=non") == {"unattended": {"enabled": False}}


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("quiet bench.unatended=1", "unknown key bench.unatended"),
        ("bench.unattended=peut-être", "expects 1 or 0"),
        ("bench.central=", "expects a value"),
        ('bench.operator="automate', "unbalanced quotes"),
    ],
)
def test_a_wrong_kernel_word_is_refused_with_its_reason(text: str, detail: str) -> None:
    with pytest.raises(BenchError) as refused:
        parse_cmdline(text)
    assert refused.value.exit_code == 2
    assert "Ligne de commande du noyau" in refused.value.text.fr
    assert "Kernel command line" in refused.value.text.en
    assert detail in (refused.value.detail or "")


def test_the_command_line_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(
        'name = "LY"\nlang = "fr"\n[unattended]\nenabled = false\nafter = "poweroff"\n'
        'label = "BROTHER_QL"\n[central]\nurl = "https://a.example.org"\n',
        encoding="utf-8",
    )
    paths = BenchPaths(tmp_path)
    site = load_site(paths, {"BENCH_AGENT_CMDLINE": "bench.unattended=1 bench.lang=en"})
    assert site.unattended.enabled and site.lang == "en"
    # What the command line does not name stays the file's.
    assert (site.name, site.unattended.after, site.unattended.label) == (
        "LY",
        "poweroff",
        "BROTHER_QL",
    )
    assert site.central.url == "https://a.example.org"
    # Nothing anywhere: the defaults (the app, not unattended; policy auto, a PDF label).
    empty = load_site(BenchPaths(tmp_path / "none"), {"BENCH_AGENT_CMDLINE": ""})
    assert not empty.unattended.enabled
    assert (empty.unattended.policy, empty.unattended.label, empty.unattended.after) == (
        "auto",
        "file",
        "poweroff",
    )


def test_the_site_settings_become_the_services_variables_unless_already_set(
    tmp_path: Path,
) -> None:
    site = load_site(
        BenchPaths(tmp_path),
        {"BENCH_AGENT_CMDLINE": "bench.site=GR bench.central=http://127.0.0.1:9 bench.token=t1"},
    )
    environ = site.environ({"BENCH_AGENT_CENTRAL_TOKEN": "from-env"}, unattended=True)
    assert environ["BENCH_AGENT_SITE"] == "GR"
    assert environ["BENCH_AGENT_CENTRAL_URL"] == "http://127.0.0.1:9"
    assert environ["BENCH_AGENT_CENTRAL_TOKEN"] == "from-env"
    assert environ["BENCH_AGENT_OPERATOR"] == "automate"
    assert "BENCH_AGENT_OPERATOR" not in site.environ({}, unattended=False)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("[unattended]\nenabled = 'oui'\n", "unattended.enabled"),
        ("[unattended]\nafter = 'reboot'\n", "unattended.after"),
        ("[unattended]\nenabeld = true\n", "unattended"),
        ("name = 'Grenoble-Saint-Martin-d-Heres'\n", "name"),
        ("[central]\nurl = 'ftp://x'\n", "central.url"),
        ("[unattended]\nerase_only = ['sda']\n", "unattended.erase_only"),
        ("[unattended]\nretry_s = 0\n", "unattended.retry_s"),
    ],
)
def test_a_wrong_setting_in_the_file_is_named(tmp_path: Path, content: str, field: str) -> None:
    (tmp_path / "site.toml").write_text(content, encoding="utf-8")
    with pytest.raises(BenchError) as refused:
        load_site(BenchPaths(tmp_path), {"BENCH_AGENT_CMDLINE": ""})
    assert refused.value.exit_code == 2
    text = refused.value.text
    assert "(site.toml)" in text.fr and f"« {field}" in text.fr, text.fr
    assert "Invalid site settings (site.toml)" in text.en


def test_a_wrong_value_on_the_command_line_names_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(BenchError) as refused:
        load_site(BenchPaths(tmp_path), {"BENCH_AGENT_CMDLINE": "bench.lang=de"})
    assert refused.value.text.fr == (
        "Réglages du site invalides (ligne de commande du noyau) : « lang » refusé."
    )


def run(home: Path, argv: list[str], cmdline: str = "") -> tuple[int, str, str]:
    env = Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"BENCH_AGENT_HOME": str(home), "BENCH_AGENT_CMDLINE": cmdline, "LANG": "C"},
    )
    code = main(argv, env=env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [["unattended"], []])
def test_a_malformed_site_file_stops_the_bench_with_exit_2(tmp_path: Path, argv: list[str]) -> None:
    """Both the command and `bench-agent` alone (which reads the site to know whether to
    start the app or the unattended run) refuse before touching anything."""
    (tmp_path / "site.toml").write_text("[unattended\nenabled = true\n", encoding="utf-8")
    code, out, err = run(tmp_path, argv)
    assert code == 2
    assert out == ""
    assert err.startswith("Fichier des réglages du site illisible (site.toml).\n  détail : ")
    assert not (tmp_path / "sittings").exists()

    (tmp_path / "site.toml").unlink()
    code, out, err = run(tmp_path, argv, cmdline="quiet bench.after=reboot")
    assert code == 2
    assert "« unattended.after » refusé" in err


def test_the_seam_reads_the_variable_even_empty(tmp_path: Path) -> None:
    assert read_cmdline({"BENCH_AGENT_CMDLINE": ""}) == ""
    assert read_cmdline({"BENCH_AGENT_CMDLINE": "bench.site=GR"}) == "bench.site=GR"
    real = read_cmdline({})
    assert real == Path("/proc/cmdline").read_text(encoding="utf-8", errors="replace")
