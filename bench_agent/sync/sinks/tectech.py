"""The network's back office, tec.tech: our signed unit report as its equipment record.

The API (``../shared/reference/network-practice.md``, and the network's own client,
``emmausconnect/audit-linux`` ``tectech.py``):

- ``POST {base}/auth-token`` ``{"client_id", "client_secret"}`` → ``access_token``,
  ``expires_in``: the token is kept and reused until shortly before it expires (the
  operators ask clients not to take one per call), and taken again once when the server
  answers 401 (expired or revoked early);
- ``GET {base}/materiel?idEsn=…&page=1&limit=2``, then by ``numeroSerie`` when the idEsn
  finds nothing: the equipment must already exist (a client cannot create it);
- ``PUT {base}/materiel`` with a JSON array of one record carrying its ``id`` → 201.

:func:`tectech_payload` maps a report to the record (pure); :func:`payload_problems`
checks it against the fields and closed vocabularies of ``tectech_vocabulary.json``
before anything is sent: a record that would not validate is ``rejected`` with the field
named, in French, and never sent. What tec.tech has no field for (battery health, disk
verdicts, the verification address of each erasure certificate) goes concisely in
``commentaire`` (at most :data:`COMMENT_MAX_CHARS`).
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bench_agent.grading.categories import is_distributable
from bench_agent.grading.engine import disk_kind, erasures_for, health_for, internal_disks
from bench_agent.i18n import _t
from bench_agent.model.common import Text
from bench_agent.model.report import UnitReport
from bench_agent.sync.sinks.base import Delivery, Document
from bench_agent.sync.sinks.http import (
    DEFAULT_TIMEOUT_S,
    excerpt,
    new_session,
    server_trouble,
    transport_failure,
)
from bench_agent.sync.sinks.reading import report_to_send

if TYPE_CHECKING:
    import requests

VOCABULARY_FILE = Path(__file__).with_name("tectech_vocabulary.json")
IDESN_RE = re.compile(r"^(BX|CR|GR|LI|LV|LY|MA|MB|RO|SD|ST|VI)(PC|TA)\d{2}-\d{4}$")
"""The network's unit ids: site, PC or TA, two-digit year, dash, four digits."""
COMMENT_MAX_CHARS = 1000
"""tec.tech documents no limit for ``commentaire``; 1,000 characters keep it readable on
its equipment page and far under any database text column. Parts that do not fit are
left out whole (the erasure evidence comes first), with a final "…"."""
TOKEN_MARGIN_S = 60.0
"""A cached token is renewed this long before the expiry the server announced."""
SINK_LABEL = "tec.tech"
TYPES = {"laptop": "ORDINATEUR_PORTABLE", "desktop": "ORDINATEUR_FIXE", "tablet": "TABLETTE"}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    fields: frozenset[str]
    read_only: frozenset[str]
    numbers: frozenset[str]
    closed: dict[str, frozenset[str]]
    brand_aliases: dict[str, str]


@functools.cache
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Vocabulary(
        fields=frozenset(data["fields"]),
        read_only=frozenset(data["read_only"]),
        numbers=frozenset(data["numbers"]),
        closed={k: frozenset(v) for k, v in data["vocabularies"].items()},
        brand_aliases={k: v for k, v in data["brand_aliases"].items() if not k.startswith("_")},
    )


# -- the mapping (pure) ----------------------------------------------------------------


def brand(maker: str | None) -> str | None:
    """Our maker name as tec.tech spells it: upper case, then the aliases of the data
    file; a maker outside the list stays as it is (and :func:`payload_problems` names
    the field). None when the maker is unknown."""
    if not maker or not maker.strip():
        return None
    key = " ".join(maker.split()).upper()
    voc = vocabulary()
    if key in voc.closed["marque"]:
        return key
    return voc.brand_aliases.get(key, key)


def processor_name(name: str | None) -> str | None:
    """ "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz" → "Intel Core i7-7500U" (the form the
    network's client sends)."""
    if not name or not name.strip():
        return None
    text = re.sub(r"\((?:R|TM|C)\)|®|™", " ", name, flags=re.IGNORECASE)
    text = re.sub(r"@.*$", " ", text)
    text = re.sub(r"\b(?:CPU|Processor)\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split()) or None


def _gb(capacity_bytes: int | None) -> int | None:
    """Decimal gigabytes, as disks are sold (256,060,514,304 bytes → 256)."""
    return round(capacity_bytes / 1e9) if capacity_bytes else None


def _ram_gb(report: UnitReport) -> int | None:
    """Installed RAM in GiB, rounded (MemTotal is a little under what is installed)."""
    memory = report.inventory.memory
    size = memory.installed_bytes or memory.total_bytes
    return round(size / 2**30) if size else None


def _comma(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def verify_url(base: str, certificate_id: str) -> str:
    """The central service's public verification page of one certificate."""
    return f"{base.rstrip('/')}/verify/{quote(certificate_id, safe='')}"


def _status(report: UnitReport) -> tuple[str, str | None]:
    """(statut, categorie): PRET_A_DISTRIBUER only for a distributable category with every
    internal disk erased (an ERASED certificate); NON_REEMPLOYABLE without a category for
    NOT_DISTRIBUTABLE and TO_REPAIR, unless only the bench's own work is missing (a disk
    to erase, a test to run); EN_COURS_DE_TRAITEMENT otherwise."""
    grade = report.grade
    if grade is None:
        return "EN_COURS_DE_TRAITEMENT", None
    if not is_distributable(grade.category):
        return ("EN_COURS_DE_TRAITEMENT" if _only_pending(report) else "NON_REEMPLOYABLE"), None
    erased = all(
        any(e.result == "ERASED" for e in erasures_for(disk, report.erasures))
        for disk in internal_disks(report)
    )
    return ("PRET_A_DISTRIBUER" if erased else "EN_COURS_DE_TRAITEMENT"), grade.category


PENDING_RULES = frozenset({"erasure.not_erased", "erasure.missing", "functional.missing"})
"""What keeps a unit from leaving only until the bench's work is done (erase, test)."""
DEFECT_RULES = frozenset({"disk.missing", "functional.fail", "battery.replace"})


def _only_pending(report: UnitReport) -> bool:
    """A unit held back only by work still to do (a disk to erase, a test to run) is in
    progress, not unusable: a failed disk, a failed test or a battery to replace is."""
    assert report.grade is not None
    rules = {hit.rule for hit in report.grade.rules}
    failed_disk = any(h.verdict == "FAIL" for h in report.health)
    return bool(rules & PENDING_RULES) and not (rules & DEFECT_RULES) and not failed_disk


def _comment(report: UnitReport, verify_base: str | None) -> str:
    parts = [f"bench-agent rapport {report.report_id} r{report.revision}"]
    for disk in internal_disks(report):
        for erasure in erasures_for(disk, report.erasures):
            where = (
                verify_url(verify_base, erasure.certificate_id)
                if verify_base
                else f"certificat {erasure.certificate_id}"
            )
            parts.append(f"Effacement {disk.name} : {erasure.result} {where}")
    for battery in report.inventory.batteries:
        health = (
            "santé inconnue" if battery.health_pct is None else f"{_comma(battery.health_pct)} %"
        )
        parts.append(f"Batterie {battery.name} : {health}")
    for disk in internal_disks(report):
        record = health_for(disk, report.health)
        verdict = record.verdict if record else "non testé"
        size = _gb(disk.capacity_bytes)
        parts.append(
            f"Disque {disk.name} {disk_kind(disk).upper()}"
            + (f" {size} Go" if size else "")
            + f" : {verdict}"
        )
    if report.grade and report.grade.cpu and report.grade.cpu.score:
        parts.append(f"cpumark: {report.grade.cpu.score}")
    text = parts[0]
    for part in parts[1:]:
        if len(text) + 3 + len(part) > COMMENT_MAX_CHARS - 4:
            return text + " / …"
        text += " / " + part
    return text


def tectech_payload(report: UnitReport, *, verify_base: str | None = None) -> dict[str, Any]:
    """The tec.tech record of ``report`` (without ``id``, which the lookup gives).

    A value we do not know is left out rather than sent empty, so it never erases what
    a technician typed in tec.tech. The bench never knows the operating system that
    will be installed, so ``systemeExploitation`` is never sent.
    """
    inv = report.inventory
    ident = inv.identity
    statut, categorie = _status(report)
    form = ident.form_factor
    record: dict[str, Any] = {"statut": statut}
    if form is not None:
        # A server or an "other" chassis has no tec.tech type: sent as is, it is named in
        # the rejection (tec.tech keeps the type it was created with when we say nothing).
        record["typeMateriel"] = TYPES.get(form, form)
    if categorie:
        record["categorie"] = categorie
    if report.unit.asset_tag:
        record["idEsn"] = report.unit.asset_tag.strip()
    serial = report.unit.serial or ident.serial
    if serial:
        record["numeroSerie"] = serial.strip()
    if marque := brand(report.unit.maker or ident.maker):
        record["marque"] = marque
    if model := (ident.model or ident.product_name or report.unit.model):
        record["model"] = model.strip()
    if processeur := processor_name(inv.cpu.model_name):
        record["processeur"] = processeur
    for n, disk in enumerate(internal_disks(report)[:2], start=1):
        record[f"typeDisqueDur{n}"] = "HDD" if disk_kind(disk) == "hdd" else "SSD"
        if (size := _gb(disk.capacity_bytes)) is not None:
            record[f"tailleDisqueDur{n}"] = size
    if (ram := _ram_gb(report)) is not None:
        record["RAM"] = ram
    if inv.devices:  # no device list (not probed): say nothing rather than "NON"
        kinds = {d.kind for d in inv.devices}
        record["webcam"] = "OUI" if "webcam" in kinds else "NON"
        record["lecteurDVD"] = "OUI" if "optical" in kinds else "NON"
    record["commentaire"] = _comment(report, verify_base)
    return record


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: Text


def payload_problems(record: dict[str, Any], *, with_id: bool = False) -> list[FieldProblem]:
    """What tec.tech would refuse in ``record``, field by field (empty when it is valid).
    ``with_id``: the record is the one to PUT, whose ``id`` comes from tec.tech."""
    voc = vocabulary()
    problems = []
    for name, value in record.items():
        if name not in voc.fields:
            problems.append(FieldProblem(name, _t("champ inconnu de tec.tech")))
        elif name in voc.read_only and not (with_id and name == "id"):
            problems.append(FieldProblem(name, _t("champ en lecture seule dans tec.tech")))
        elif name in voc.numbers:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                problems.append(FieldProblem(name, _t("nombre entier attendu")))
            elif value is not None and value < 0:
                problems.append(FieldProblem(name, _t("nombre négatif")))
        elif not isinstance(value, str):
            problems.append(FieldProblem(name, _t("texte attendu")))
        elif name in voc.closed and value not in voc.closed[name]:
            problems.append(
                FieldProblem(
                    name,
                    _t("« {value} » n'est pas dans la liste de tec.tech", value=value[:60]),
                )
            )
        elif name == "idEsn" and not IDESN_RE.match(value):
            problems.append(
                FieldProblem(
                    name,
                    _t(
                        "« {value} » n'a pas la forme d'un identifiant du réseau (GRPC25-0322)",
                        value=value[:60],
                    ),
                )
            )
        elif name == "commentaire" and len(value) > COMMENT_MAX_CHARS:
            problems.append(FieldProblem(name, _t("plus de {n} caractères", n=COMMENT_MAX_CHARS)))
    return problems


# -- the sink --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TectechConfig:
    url: str
    """The API base, e.g. ``https://tec-tech.example/api``."""
    client_id: str
    secret: str = field(repr=False)
    """The client secret, read from the bench's 0600 secret file; never logged."""
    verify_base: str | None = None
    """The central service's address, for the certificates' verification URLs."""
    timeout_s: tuple[float, float] = DEFAULT_TIMEOUT_S
    tls_verify: bool | str = True

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"tec.tech URL must start with http:// or https://: {self.url!r}")
        if not self.client_id.strip() or not self.secret.strip():
            raise ValueError("tec.tech client_id or secret is empty")


class _Stop(Exception):
    def __init__(self, delivery: Delivery) -> None:
        super().__init__(delivery.outcome)
        self.delivery = delivery


def _rejected(text: Text, *, status: int | None = None, detail: str | None = None) -> _Stop:
    return _Stop(Delivery("rejected", text, status=status, detail=detail))


class TectechSink:
    """Updates the unit's existing tec.tech record from each unit report revision."""

    def __init__(
        self,
        config: TectechConfig,
        *,
        name: str = "tectech",
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._clock = clock
        self._session = session or new_session(config.tls_verify)
        self._base = config.url.rstrip("/")
        self._token: str | None = None
        self._token_until = 0.0
        self.tokens_taken = 0
        """How many tokens this sink asked for (the operators ask for few)."""

    def close(self) -> None:
        self._session.close()

    # -- one document

    def deliver(self, document: Document) -> Delivery:
        report = report_to_send(document, "tec.tech")
        if isinstance(report, Delivery):
            return report
        record = tectech_payload(report, verify_base=self.config.verify_base)
        problems = payload_problems(record)
        if problems:
            return _field_rejection(problems)
        try:
            found = self._lookup(record)
            record = {"id": found["id"], **record}
            return self._put(record)
        except _Stop as stop:
            return stop.delivery

    def _lookup(self, record: dict[str, Any]) -> dict[str, Any]:
        id_esn, serial = record.get("idEsn"), record.get("numeroSerie")
        if not id_esn and not serial:
            raise _rejected(
                _t(
                    "Fiche non envoyée à tec.tech : ni idEsn ni numéro de série pour "
                    "retrouver l'unité (saisissez l'identifiant du réseau)"
                )
            )
        if id_esn:
            found = self._find("idEsn", id_esn)
            if found is not None:
                theirs = found.get("numeroSerie")
                if serial and theirs and str(theirs).strip() != serial:
                    raise _rejected(
                        _t(
                            "Champ numeroSerie : tec.tech a {theirs} pour {id_esn}, le banc "
                            "lit {serial} ; à vérifier avant tout envoi",
                            theirs=str(theirs)[:60],
                            id_esn=id_esn,
                            serial=serial,
                        )
                    )
                return found
        if serial:
            found = self._find("numeroSerie", serial)
            if found is not None:
                return found
        raise _rejected(
            _t(
                "Unité absente de tec.tech ({what}) : créez-la d'abord dans tec.tech, puis "
                "bench-agent sync retry-rejected",
                what=" / ".join(str(v) for v in (id_esn, serial) if v),
            ),
            status=404,
        )

    def _find(self, key: str, value: str) -> dict[str, Any] | None:
        response = self._call("GET", "/materiel", params={key: value, "page": 1, "limit": 2})
        if response.status_code != 200:
            raise self._unexpected(response)
        try:
            body = response.json()
            total, data = int(body["total"]), body["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise _Stop(
                Delivery(
                    "retry",
                    _t("Réponse inattendue de tec.tech ; nouvel essai plus tard"),
                    status=response.status_code,
                    detail=f"lookup answer: {exc}: {excerpt(response)}",
                )
            ) from exc
        if total > 1:
            raise _rejected(
                _t(
                    "Plusieurs fiches tec.tech pour {key} {value} : à corriger dans tec.tech",
                    key=key,
                    value=value,
                )
            )
        if total == 0 or not data:
            return None
        item = data[0]
        if not isinstance(item, dict) or "id" not in item:
            raise _Stop(
                Delivery(
                    "retry",
                    _t("Réponse inattendue de tec.tech ; nouvel essai plus tard"),
                    detail=f"lookup item without id: {excerpt(response)}",
                )
            )
        return item

    def _put(self, record: dict[str, Any]) -> Delivery:
        response = self._call("PUT", "/materiel", json_body=[record])
        if response.status_code in (200, 201):
            return Delivery("sent", status=response.status_code)
        raise self._unexpected(response)

    def _unexpected(self, response: requests.Response) -> _Stop:
        status = response.status_code
        if status == 429 or status >= 500:
            return _Stop(server_trouble(SINK_LABEL, response))
        if status in (401, 403):
            return _Stop(self._credentials_refused(status, response))
        message = _server_message(response)
        return _rejected(
            _t(
                "tec.tech refuse la fiche (HTTP {status}) : {message}",
                status=status,
                message=message,
            ),
            status=status,
            detail=excerpt(response),
        )

    # -- HTTP with the token

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> requests.Response:
        """One request with the cached token; a 401 takes a new token once and asks
        again (a token the server expired or revoked before its announced time)."""
        for attempt in range(2):
            token = self._ensure_token(force=attempt > 0)
            response = self._request(
                method,
                self._base + path,
                params=params,
                json_body=json_body,
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code != 401:
                return response
            self._token = None
        return response

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        import requests

        try:
            return self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=headers,
                timeout=self.config.timeout_s,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            raise _Stop(transport_failure(SINK_LABEL, exc, max(self.config.timeout_s))) from None

    def _ensure_token(self, *, force: bool = False) -> str:
        if not force and self._token and self._clock() < self._token_until:
            return self._token
        self._token = None
        response = self._request(
            "POST",
            self._base + "/auth-token",
            json_body={"client_id": self.config.client_id, "client_secret": self.config.secret},
        )
        if response.status_code in (401, 403, 400):
            raise _Stop(self._credentials_refused(response.status_code, response))
        if response.status_code not in (200, 201):
            if response.status_code == 429 or response.status_code >= 500:
                raise _Stop(server_trouble(SINK_LABEL, response))
            raise _Stop(
                Delivery(
                    "retry",
                    _t("Réponse inattendue de tec.tech ; nouvel essai plus tard"),
                    status=response.status_code,
                    detail=f"auth-token: HTTP {response.status_code}",
                )
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 0)
        except (ValueError, KeyError, TypeError) as exc:
            raise _Stop(
                Delivery(
                    "retry",
                    _t("Réponse inattendue de tec.tech ; nouvel essai plus tard"),
                    detail=f"auth-token answer without access_token ({type(exc).__name__})",
                )
            ) from exc
        self.tokens_taken += 1
        self._token = token
        self._token_until = self._clock() + max(0.0, lifetime - min(TOKEN_MARGIN_S, lifetime / 10))
        return token

    def _credentials_refused(self, status: int, response: requests.Response) -> Delivery:
        # The document is fine: it waits (retry) until the coordinator fixes the bench's
        # tec.tech credentials. The answer's body is not logged: it could echo them.
        return Delivery(
            "retry",
            _t(
                "Identifiants tec.tech refusés (HTTP {status}) : vérifiez client_id et le "
                "fichier secret du banc ; rien n'est perdu",
                status=status,
            ),
            status=status,
            detail=f"tec.tech answered HTTP {status} to the bench's credentials or token",
        )


def _field_rejection(problems: list[FieldProblem]) -> Delivery:
    first = problems[0]
    more = len(problems) - 1
    text = _t(
        "Fiche non envoyée à tec.tech — champ {field} : {problem}",
        field=first.field,
        problem=first.message,
    )
    if more:
        text = _t("{text} (et {more} autre(s) champ(s))", text=text, more=more)
    detail = "; ".join(f"{p.field}: {p.message.en}" for p in problems)
    return Delivery("rejected", text, detail=detail)


def _server_message(response: requests.Response) -> str:
    """tec.tech's own words (``message`` of its JSON error), shortened."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason or ""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message)
        return str(message)[:300]
    return str(body)[:300]
