"""The file sink writes the layout ``sync export`` writes, idempotently, and
``sync import`` takes it back; the sinks' configuration in sync.toml."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from pathlib import Path

import pytest

from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.sending import configured_sinks, read_secret, sinks_config
from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.sync.sinks.base import Document
from bench_agent.sync.sinks.file import FileSink
from bench_agent.sync.sinks.glpi import GlpiSink
from bench_agent.sync.sinks.tectech import TectechSink
from tests.support.unit_reports import host_report
from tests.sync.test_sink_tectech import document


def run_cli(home: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        stdout=out, stderr=err, environ={"BENCH_AGENT_HOME": str(home), "BENCH_AGENT_LANG": "fr"}
    )
    return main(list(argv), env=env), out.getvalue(), err.getvalue()


def test_the_stick_holds_the_signed_documents_and_sync_import_takes_them(
    tmp_path: Path,
) -> None:
    stick = tmp_path / "stick" / "bench-agent"
    sink = FileSink(stick)
    docs = [document(host_report("Dell_XPS_13_9350")) for _ in range(2)]
    for doc in docs:
        assert sink.deliver(doc).outcome == "sent"
        assert sink.deliver(doc).outcome == "sent"  # again: nothing changes
    names = sorted(p.name for p in stick.iterdir())
    assert names == sorted(
        [f"report-{d.document_id}_{d.revision}.json" for d in docs] + ["SHA256SUMS"]
    )
    for doc in docs:
        assert (stick / f"report-{doc.document_id}_{doc.revision}.json").read_bytes() == doc.body
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=stick, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2

    code, out, err = run_cli(tmp_path / "bench", "sync", "import", str(stick))
    assert code == 0, err
    assert "Ajoutés : 2 ; déjà présents : 0 ; refusés : 0" in out


def test_another_content_under_the_same_name_is_never_written_over(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    doc = document(host_report("Dell_XPS_13_9350"))
    assert sink.deliver(doc).outcome == "sent"
    other = Document(doc.kind, doc.item_id, doc.document_id, doc.revision, doc.body + b" ")
    delivery = sink.deliver(other)
    assert delivery.outcome == "rejected"
    assert (tmp_path / f"report-{doc.document_id}_1.json").read_bytes() == doc.body
    sums = (tmp_path / "SHA256SUMS").read_text()
    assert sums == f"{hashlib.sha256(doc.body).hexdigest()}  report-{doc.document_id}_1.json\n"


def test_a_missing_stick_folder_that_cannot_be_made_is_retry(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    delivery = FileSink(tmp_path / "file" / "sub").deliver(
        document(host_report("Dell_XPS_13_9350"))
    )
    assert delivery.outcome == "retry" and delivery.reason is not None
    assert "inaccessible" in delivery.reason.fr


# ---------------------------------------------------------------- sync.toml


def write_config(home: Path, text: str) -> BenchPaths:
    home.mkdir(parents=True, exist_ok=True)
    (home / "sync.toml").write_text(text, encoding="utf-8")
    return BenchPaths(home)


def test_every_sink_from_sync_toml(tmp_path: Path) -> None:
    secret = tmp_path / "tectech-secret"
    secret.write_text("the-secret\n")
    secret.chmod(0o600)
    paths = write_config(
        tmp_path,
        f"""[central]
url = "https://central.example"
token_file = "central-token"

[sinks.tectech]
url = "https://tec-tech.example/api"
client_id = "bench-42"
secret_file = "{secret}"

[sinks.glpi]
url = "https://glpi.example/front/inventory.php"

[sinks.file]
dir = "stick"
""",
    )
    sinks = configured_sinks(paths, verify_base="https://central.example")
    assert [s.name for s in sinks] == ["tectech", "glpi", "file"]
    tectech, glpi, file = sinks
    assert isinstance(tectech, TectechSink) and tectech.config.secret == "the-secret"
    assert "the-secret" not in repr(tectech.config)
    assert isinstance(glpi, GlpiSink) and glpi.url.endswith("/front/inventory.php")
    assert isinstance(file, FileSink) and file.directory == tmp_path / "stick"
    for sink in sinks:
        sink.close()


def test_no_sinks_table_no_extra_sink(tmp_path: Path) -> None:
    paths = write_config(tmp_path, '[central]\nurl = "https://c.example"\n')
    assert configured_sinks(paths) == []
    assert configured_sinks(BenchPaths(tmp_path / "nothing")) == []


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('[sinks.ftp]\nurl = "x"\n', "destination inconnue [sinks.ftp]"),
        ('[sinks.glpi]\nurl = "glpi.example"\n', "[sinks.glpi] url doit commencer"),
        ('[sinks.glpi]\nurl = "https://g"\nport = "1"\n', "clé inconnue port"),
        ('[sinks.tectech]\nurl = "https://t"\nclient_id = "c"\n', "[sinks.tectech] secret_file"),
        ("[sinks.file]\ndir = 3\n", "[sinks.file] dir manque"),
        ("sinks = 3\n", "[sinks] doit être une table"),
    ],
)
def test_a_bad_table_is_named_in_french_and_english(table: str, words: str, tmp_path: Path) -> None:
    paths = write_config(tmp_path, table)
    with pytest.raises(BenchError) as caught:
        sinks_config(paths)
    assert words in caught.value.text.fr
    assert caught.value.text.en != caught.value.text.fr
    assert caught.value.exit_code == 2


def test_the_secret_file_must_be_0600_and_not_empty(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("abc")
    secret.chmod(0o644)
    with pytest.raises(BenchError, match="chmod 600"):
        read_secret(secret)
    secret.chmod(0o600)
    assert read_secret(secret) == "abc"
    secret.write_text("\n")
    with pytest.raises(BenchError) as caught:
        read_secret(secret)
    assert "vide" in caught.value.text.fr
    with pytest.raises(BenchError):
        read_secret(tmp_path / "missing")
    assert json.dumps(caught.value.text.fr)  # a plain sentence, no exception text
