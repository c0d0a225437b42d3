"""The bench service: one unit's sitting and every operation on it.

:class:`Bench` is what both skins hold: the app calls its methods from thread workers,
the commands call them directly. Every change is written to the sitting record at once
(atomic, fsynced), so a restart finds the unit as it was left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from bench_agent.bench import erasure, flow, sending
from bench_agent.bench import functional as functional_service
from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.record import RecordError, SittingRecord, SittingStore, new_record
from bench_agent.i18n import _t, join
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.grading import CpuTable, Profile
    from bench_agent.grading.spec import CosmeticScaleSpec, NeedSpec
    from bench_agent.host.base import Host
    from bench_agent.model.grade import Grade
    from bench_agent.model.report import ErasureSummary, FunctionalTest, UnitReport
    from bench_agent.sync.sender import Sender
    from wipe.engine import EraseOutcome
    from wipe.overwrite import Progress
    from wipe.runner_protocol import Runner

DEFAULT_PROFILE = "network-2024"
OPERATOR_VARIABLE = "BENCH_AGENT_OPERATOR"
SITE_VARIABLE = "BENCH_AGENT_SITE"
"""The site's name for the reports (set from the site settings, see bench/site.py)."""
UNIT_ID_MAX = 64


def utc_now() -> str:
    from bench_agent.unit import utc_now_iso

    return utc_now_iso()


def clean_unit_id(text: str) -> str:
    """A scanned or typed unit id: printable, no spaces around, at most 64 characters.
    ValueError (with a sentence) otherwise."""
    value = text.strip()
    if not value:
        raise BenchError(_t("Identifiant vide."), exit_code=2)
    if len(value) > UNIT_ID_MAX or not value.isprintable():
        raise BenchError(
            _t(
                "Identifiant refusé : {unit_id_max} caractères imprimables au plus.",
                unit_id_max=UNIT_ID_MAX,
            ),
            exit_code=2,
        )
    return value


@dataclass
class Grading:
    """The grading data, loaded once per bench (profiles are read from the wheel)."""

    profile: Profile
    table: CpuTable
    needs: list[NeedSpec]
    scale: CosmeticScaleSpec

    @classmethod
    def load(
        cls,
        profile_name: str = DEFAULT_PROFILE,
        cpu_table: Path | None = None,
        paths: BenchPaths | None = None,
    ) -> Grading:
        """The profile, needs and cosmetic scale shipped, and the CPU table: ``cpu_table``
        when given, else the one the bench took from the central service (in ``paths``'
        home), else the shipped one."""
        from bench_agent.grading import (
            ProfileError,
            default_cpu_table,
            load_cosmetic_scale,
            load_cpu_table,
            load_needs,
            load_profile,
        )
        from bench_agent.grading.cpu_table import current_table, shipped_names

        try:
            if cpu_table is not None:
                table = shipped_names(load_cpu_table(cpu_table))
            elif paths is not None:
                table = current_table(paths)
            else:
                table = default_cpu_table()
            return cls(
                load_profile(profile_name),
                table,
                load_needs(),
                load_cosmetic_scale(),
            )
        except ProfileError as exc:
            raise BenchError(exc.text, exit_code=2 if exc.field == "(profile)" else 3) from exc

    @property
    def required_tests(self) -> tuple[str, ...]:
        spec = getattr(self.profile.spec, "functional", None)
        required = getattr(spec, "required", None)
        if required is None:
            return functional_service.TEST_NAMES
        return tuple(required)

    def cosmetic_codes(self) -> list[str]:
        return [g.code for g in self.scale.grades]

    def grade(
        self, report: UnitReport, *, override: Any = None, technical: int = 0, aesthetic: int = 0
    ) -> Grade:
        from bench_agent.grading import GradingInputError, TechnicianInput, grade_unit

        try:
            grade = grade_unit(
                report,
                self.profile,
                self.table,
                needs=self.needs,
                technician=TechnicianInput(technical, aesthetic, report.cosmetic_grade),
                cosmetic_codes=self.cosmetic_codes(),
            )
            if override is not None:
                grade = self.apply_override(
                    grade, override.category, override.reason, override.by, override.at
                )
        except GradingInputError as exc:
            raise BenchError(exc.message, exit_code=2) from exc
        return grade

    @staticmethod
    def apply_override(grade: Grade, category: str, reason: str, by: str, at: str) -> Grade:
        from bench_agent.grading import GradingInputError, apply_override

        try:
            return apply_override(grade, category, reason, by, at)
        except GradingInputError as exc:
            raise BenchError(exc.message, exit_code=2) from exc


@dataclass
class Saved:
    path: Path
    revision: int
    new: bool
    """False when nothing changed since the last save (no new revision)."""
    outbox_problem: Text | None = None


@dataclass
class Bench:
    """One bench, one unit on it."""

    paths: BenchPaths
    host: Host
    runner: Runner | None
    """Runs drive commands for erasure (hdparm, nvme); None on a recorded computer (demo,
    training): nothing of this machine is then erased."""
    environ: Mapping[str, str]
    record: SittingRecord
    store: SittingStore
    clock: Callable[[], str] = utc_now
    simulation_only: bool = False
    """A recorded computer (demonstration, training): the disks listed for erasure are
    this machine's, so only dry runs are allowed."""
    notes: list[Text] = field(default_factory=list)
    """What happened when the sitting was opened (a damaged file kept aside...)."""
    untested: dict[str, Text] = field(default_factory=dict)
    """Tests the bench could not run now (a program missing), with why."""
    policy_path: str | None = None
    """The erasure policy file (the site's); None: the shipped policy (``auto``)."""
    _grading: Grading | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- opening ----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        paths: BenchPaths,
        host: Host,
        runner: Runner | None,
        environ: Mapping[str, str],
        *,
        clock: Callable[[], str] = utc_now,
        simulation_only: bool = False,
    ) -> Bench:
        """The sitting in progress on this bench (after ``q``, a crash or a power cut),
        or a new one."""
        store = SittingStore(paths.sittings)
        notes: list[Text] = []
        try:
            record = store.load()
        except RecordError as exc:
            from bench_agent.bench.log import log_problem

            log_problem(paths.log, "sitting", exc)
            record = None
            notes.append(
                _t("Le dossier de l'unité précédente était abîmé : mis de côté, nouvelle unité.")
            )
        operator = environ.get(OPERATOR_VARIABLE) or None
        if record is None:
            record = new_record(clock(), operator)
            store.save(record)
        return cls(paths, host, runner, environ, record, store, clock, simulation_only, notes)

    @property
    def operator(self) -> str | None:
        return self.environ.get(OPERATOR_VARIABLE) or self.record.operator

    @property
    def grading(self) -> Grading:
        if self._grading is None:
            self._grading = Grading.load(paths=self.paths)
        return self._grading

    def _save(self) -> None:
        self.store.save(self.record)

    def update(self, **changes: Any) -> None:
        """Change fields of the record and write it."""
        with self._lock:
            self.record = msgspec.structs.replace(self.record, **changes)
            self._save()

    # -- unit, inventory, health --------------------------------------------------------

    def set_unit_id(self, text: str) -> str:
        value = clean_unit_id(text)
        self.update(unit_id=value)
        return value

    def set_serial(self, text: str) -> str:
        value = clean_unit_id(text)
        self.update(serial_entered=value)
        return value

    def collect_inventory(self) -> None:
        from bench_agent.inventory import collect_inventory

        try:
            inv = collect_inventory(self.host)
        except Exception as exc:  # any probe failure reaches the technician as a sentence
            text = self.problem(exc, "inventory")
            self.update(inventory_problem=text)
            raise BenchError(text) from exc
        self.update(inventory=inv, inventory_problem=None)

    def check_health(self, self_test: Literal["short", "extended"] | None = None) -> None:
        from bench_agent.health import check_all

        try:
            if self_test:
                self.update(self_test=self_test)
                disks = check_all(self.host, self_test=self_test)
            else:
                disks = check_all(self.host)
        except Exception as exc:  # smartctl missing, unreadable device: a sentence
            text = self.problem(exc, "health")
            self.update(health_problem=text, self_test=None)
            raise BenchError(text) from exc
        self.update(health=disks, health_problem=None, self_test=None)

    def inventory_warnings(self) -> list[Text]:
        """What the technician must look at after the inventory."""
        from bench_agent.bench.warnings import inventory_warnings

        return inventory_warnings(self.record)

    # -- functional tests --------------------------------------------------------------

    def record_test(self, test: FunctionalTest) -> None:
        with self._lock:
            previous = self.record.functional.get(test.name)
            merged = functional_service.merge_usb(previous, test)
            self.untested.pop(test.name, None)
            self.update(functional={**self.record.functional, test.name: merged})

    def record_outcomes(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        for outcome in outcomes:
            test = functional_service.record_of(outcome, by=self.operator, at=now)
            if test is None:
                reason = functional_service.untested_reason(outcome)
                if reason is not None:
                    self.untested[outcome.name] = reason
                continue
            self.record_test(test)

    def answer_test(self, name: str, yes: bool, data: dict[str, Any] | None = None) -> None:
        self.record_test(
            functional_service.answered(name, yes, by=self.operator, at=self.clock(), data=data)
        )

    def confirm_absent(self, name: str) -> None:
        self.record_test(
            functional_service.confirmed_absent(name, by=self.operator, at=self.clock())
        )

    def forget_test(self, name: str) -> None:
        with self._lock:
            tests = dict(self.record.functional)
            tests.pop(name, None)
            self.update(functional=tests)

    # -- cosmetic grade ----------------------------------------------------------------

    def cosmetic_choices(self) -> list[tuple[str, Text]]:
        return [(g.code, Text(fr=g.fr, en=g.en)) for g in self.grading.scale.grades]

    def set_cosmetic(self, code: str) -> None:
        code = code.strip().upper()
        if code not in self.grading.cosmetic_codes():
            listed = ", ".join(self.grading.cosmetic_codes())
            raise BenchError(
                _t("Aspect inconnu : {code} (attendu : {listed})", code=code, listed=listed),
                exit_code=2,
            )
        self.update(cosmetic=code)

    # -- erasure -----------------------------------------------------------------------

    def erase_setup(self) -> erasure.EraseSetup:
        if self.runner is None:
            raise BenchError(
                _t("Ordinateur enregistré (démonstration) : aucun disque n'est effacé ici."),
                exit_code=2,
            )
        return erasure.EraseSetup.open(self.paths, self.runner, policy_path=self.policy_path)

    def erase_candidates(self) -> list[Any]:
        return erasure.list_targets()

    def erase_plans(self, device_paths: list[str]) -> list[erasure.DrivePlan]:
        """The plan per drive (method, verification, expected duration, resume point),
        refusals checked again; BenchError listing every refusal."""
        setup = self.erase_setup()
        targets = erasure.select(device_paths)
        refused = erasure.refusal_lines(targets)
        if refused:
            raise BenchError(
                join("\n", [*refused, _t("Aucun disque effacé.")]),
                exit_code=1,
            )
        return erasure.plan(targets, setup.policy, resumes=setup.resume_points(targets))

    def frozen(self, plans: list[erasure.DrivePlan]) -> list[str]:
        if self.runner is None:
            return []
        return erasure.frozen_drives(plans, self.runner)

    def unfreeze(self, plans: list[erasure.DrivePlan], frozen: list[str]) -> list[Text]:
        if self.runner is None:
            return []
        return erasure.unfreeze(frozen, [p.target for p in plans], self.runner)

    def erase(
        self,
        plans: list[erasure.DrivePlan],
        *,
        dry_run: bool,
        progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
        operator: Any = None,
        asset_tag: str | None = None,
        abort_on_error: bool = False,
        cert_dir: Path | None = None,
    ) -> tuple[list[EraseOutcome], list[Text]]:
        """Erase the confirmed drives in parallel; the certificates go to the sitting and
        the outbox. Returns the outcomes and sentences for the technician."""
        from wipe.engine import Operator

        if self.simulation_only and not dry_run:
            raise BenchError(
                _t("Ordinateur enregistré (démonstration) : simulation seulement."),
                exit_code=2,
            )
        setup = self.erase_setup()
        if cert_dir is not None:
            setup.cert_dir = cert_dir
        op = operator or Operator(name=self.operator)
        ctx = setup.context(
            operator=op,
            source=erasure.source_computer(self.record.inventory),
            progress=progress,
            cancel=cancel,
        )
        notes: list[Text] = []
        for o in setup.record_interrupted(ctx):
            notes.append(
                _t("Effacement interrompu enregistré : {device_path}", device_path=o.device_path)
            )
        devices = [p.target.device_path for p in plans]
        if not dry_run:
            self.update(erase_started=sorted(set(self.record.erase_started) | set(devices)))
        requests = erasure.requests_for(
            setup,
            plans,
            dry_run=dry_run,
            asset_tag=asset_tag or self.record.unit_id,
            abort_on_error=abort_on_error,
        )
        outcomes = erasure.run(requests, ctx)
        notes += erasure.enqueue_certificates(self.paths, outcomes)
        self.add_certificates(outcomes)
        if not dry_run:
            self.update(erase_started=[d for d in self.record.erase_started if d not in devices])
        return outcomes, notes

    def add_certificates(self, outcomes: list[EraseOutcome]) -> None:
        self.add_summaries(erasure.summaries(outcomes))

    def add_summaries(self, found: list[ErasureSummary]) -> None:
        """The latest certificate per drive wins (a later erasure replaces an earlier one,
        whatever either's result): the report says what was done last to each disk."""
        with self._lock:
            self.update(erasures=erasure.merge_summaries(self.record.erasures, found))

    def countersign_erasures(self, name: str, role: str | None = None) -> int:
        """A second person validates this unit's erasure certificates: each one not yet
        countersigned gets the validator's signed approval beside it. Returns how many
        were countersigned. BenchError: the validator is the operator (a validation is
        a second person's), no certificate to validate, a certificate missing or altered."""
        from bench_agent.bench.countersignature import countersign, countersignature_path

        operator = (self.operator or "").strip().casefold()
        if operator and name.strip().casefold() == operator:
            raise BenchError(
                _t("La validation est faite par une autre personne que l'opérateur."),
                exit_code=2,
            )
        certificates = [e for e in self.record.erasures if e.result != "DRY_RUN"]
        if not certificates:
            raise BenchError(_t("Aucun certificat d'effacement à valider."), exit_code=2)
        key = erasure.bench_key(self.paths.key)
        done = 0
        for summary in certificates:
            path = erasure.certificate_file(self.paths.certificates, summary.certificate_id)
            if path is None:
                raise BenchError(
                    _t(
                        "Certificat introuvable pour {device} ({certificate_id}).",
                        device=summary.device,
                        certificate_id=summary.certificate_id,
                    )
                )
            if countersignature_path(path).exists():
                continue
            countersign(path, key, name=name, role=role, now=datetime.fromisoformat(self.clock()))
            done += 1
        return done

    def validations(self) -> list[Text]:
        """One line per certificate of this unit that has a countersignature: who
        validated it and when, or that the countersignature is not valid."""
        from bench_agent.bench.countersignature import countersignature_for
        from wipe.signing import parse_json

        lines: list[Text] = []
        for summary in self.record.erasures:
            path = erasure.certificate_file(self.paths.certificates, summary.certificate_id)
            if path is None:
                continue
            try:
                payload = parse_json(path.read_bytes())["payload"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            check = countersignature_for(path, payload)
            if check is None:
                continue
            if check.ok and check.document is not None:
                doc = check.document
                at = doc.at[:16].replace("T", " ")
                said = (
                    _t("Validé par {name} le {at}.", name=doc.validator.name, at=at)
                    if doc.decision == "approved"
                    else _t("REFUSÉ par {name} le {at}.", name=doc.validator.name, at=at)
                )
            else:
                said = _t("contre-signature NON VALABLE.")
            lines.append(join(" ", [Text(fr=f"{summary.device} :", en=f"{summary.device}:"), said]))
        return lines

    # -- report, grade, save -----------------------------------------------------------

    def report(self, *, revision: int | None = None) -> UnitReport:
        """The unit's report as it stands (graded), with this sitting's report id."""
        from bench_agent.functional.catalogue import CATALOGUE
        from bench_agent.unit import build_report

        r = self.record
        if r.inventory is None:
            raise BenchError(
                _t("Inventaire pas encore fait (étape 2)."),
                exit_code=1,
            )
        report = build_report(
            r.inventory,
            asset_tag=r.unit_id,
            technician=self.operator,
            site=self.environ.get(SITE_VARIABLE) or None,
        )
        report.report_id = r.report_id
        report.revision = revision if revision is not None else max(r.saved_revision, 1)
        report.created_at = self.clock()
        if r.serial_entered:
            report.unit.serial = r.serial_entered
            report.unit.key = (
                f"entered:{r.serial_entered.lower()}"
                if report.unit.basis == "none"
                else report.unit.key
            )
        report.health = list(r.health or [])
        order = {t.name: i for i, t in enumerate(CATALOGUE)}
        report.functional_tests = sorted(r.functional.values(), key=lambda t: order.get(t.name, 99))
        report.erasures = list(r.erasures)
        report.label_prints = [p for p in r.prints if p.kind != "file"]
        report.cosmetic_grade = r.cosmetic
        report.grade = self.grading.grade(report, override=r.override)
        if report.grade.cosmetic:
            report.cosmetic_grade = report.grade.cosmetic
        return report

    def current_grade(self) -> Grade | None:
        if self.record.inventory is None:
            return None
        return self.report().grade

    def override(self, category: str, reason: str) -> Grade:
        """The technician's category, with a mandatory reason (and who, when)."""
        from bench_agent.model.grade import Override

        by = self.operator or "technicien"
        grade = self.report().grade
        assert grade is not None
        overridden = self.grading.apply_override(grade, category.upper(), reason, by, self.clock())
        assert overridden.override is not None
        self.update(override=msgspec.convert(msgspec.to_builtins(overridden.override), Override))
        return overridden

    def clear_override(self) -> None:
        self.update(override=None)

    def step_views(self, running: frozenset[str] = frozenset()) -> dict[str, flow.StepView]:
        try:
            grade = self.current_grade()
        except BenchError:
            grade = None
        return flow.steps(
            self.record, grade=grade, required_tests=self.grading.required_tests, running=running
        )

    def save(self) -> Saved:
        """Sign and write the report; a new revision only when something changed: the
        unit's content, or a label printed since the saved revision (then the revision
        adds the print and nothing else, see :meth:`_save_prints`)."""
        from bench_agent.bench.reports import revision_path, sign_and_write

        with self._lock:
            path = self.paths.report(self.record.report_id)
            if not flow.is_dirty(self.record) and path.exists():
                if flow.prints_unsaved(self.record):
                    return self._save_prints()
                return Saved(path, self.record.saved_revision, new=False)
            revision = self.record.saved_revision + 1
            report = self.report(revision=revision)
            key = erasure.bench_key(self.paths.key)
            try:
                envelope = sign_and_write(
                    report, key, revision_path(self.paths.reports, report.report_id, revision)
                )
                sign_and_write(report, key, path)
            except OSError as exc:
                raise BenchError(self.problem(exc, "save")) from exc
            self.update(
                saved_revision=revision,
                content_revision=revision,
                saved_prints=len(report.label_prints),
                saved_fingerprint=flow.content_fingerprint(self.record),
            )
        problem = sending.enqueue(self.paths, envelope)
        return Saved(path, revision, new=True, outbox_problem=problem)

    def _certified_report(self) -> UnitReport:
        """The signed revision a label printed now certifies (flow.certified_revision),
        read back from its file (signature checked)."""
        from bench_agent.bench.reports import load_report_file, revision_path

        r = self.record
        kept = revision_path(self.paths.reports, r.report_id, flow.certified_revision(r))
        path = kept if kept.exists() else self.paths.report(r.report_id)
        return load_report_file(path).report

    def _save_prints(self) -> Saved:
        """Revision n + 1 adding the labels printed since revision n was saved: the
        certified revision's report as signed (same content, grade, category and date:
        the label and its QR code stay true), with only ``revision`` and ``label_prints``
        new. It goes to the outbox like any revision."""
        from bench_agent.bench.reports import revision_path, sign_and_write

        with self._lock:
            r = self.record
            path = self.paths.report(r.report_id)
            revision = r.saved_revision + 1
            prints = flow.printed(r)
            report = msgspec.structs.replace(
                self._certified_report(), revision=revision, label_prints=prints
            )
            key = erasure.bench_key(self.paths.key)
            try:
                envelope = sign_and_write(
                    report, key, revision_path(self.paths.reports, r.report_id, revision)
                )
                sign_and_write(report, key, path)
            except OSError as exc:
                raise BenchError(self.problem(exc, "save")) from exc
            self.update(
                saved_revision=revision,
                content_revision=flow.certified_revision(r),
                saved_prints=len(prints),
            )
        problem = sending.enqueue(self.paths, envelope)
        return Saved(path, revision, new=True, outbox_problem=problem)

    # -- label -------------------------------------------------------------------------

    def label_refusals(self) -> list[Text]:
        return flow.label_refusals(self.record, self.current_grade())

    def label_printer(self) -> str | None:
        """The printer :meth:`make_label` uses without a queue given, as the app shows
        it ("Zebra ZPL 10.0.0.7", "Brother QL file:///dev/usb/lp0", a CUPS queue), or
        None for a PDF only (also when site.toml is wrong: printing then says why)."""
        from bench_agent.bench import labels
        from bench_agent.bench.site import load_site

        queue = labels.printer_queue(self.environ)
        if queue:
            return str(queue)
        try:
            printer = load_site(self.paths, self.environ).printer
        except BenchError:
            return None
        if printer is None:
            return None
        kind = {"cups": "CUPS", "zpl": "Zebra ZPL", "brother_ql": "Brother QL"}
        return f"{kind.get(printer.kind, printer.kind)} {labels.printer_name(printer)}"

    def make_label(
        self,
        *,
        lang: str,
        printer: str | None = None,
        template: str | None = None,
        copies: int = 1,
        site_printer: bool = True,
    ) -> Text:
        """Render the saved revision's label and print it: on the CUPS queue ``printer``
        when given, else on the site's printer (site.toml ``[printer]``: CUPS, ZPL or
        Brother QL) unless ``site_printer`` is False, else only a PDF in the labels
        folder. Refused, with the reasons, when the unit may not be labelled. Every print
        is recorded (template, printer, who, when, copy number, reprint); a printer that
        is off or out of labels raises
        BenchError and records nothing, so the technician can simply ask again.
        Returns the sentence to show."""
        from bench_agent.bench import labels
        from bench_agent.bench.site import Printer, load_site
        from bench_agent.labels.template import DEFAULT_TEMPLATE
        from bench_agent.model.report import LabelRecord

        refusals = self.label_refusals()
        if refusals:
            separator = _t(" ; ")  # on its own: Babel does not see a call nested in another
            raise BenchError(
                _t("Étiquette refusée : {reasons}", reasons=join(separator, refusals)),
                exit_code=1,
            )
        site = load_site(self.paths, self.environ)
        chosen_printer = (
            Printer(kind="cups", queue=printer)
            if printer
            else (site.printer if site_printer else None)
        )
        report = self._certified_report()
        if template is None:
            template = labels.default_template(chosen_printer) if chosen_printer else None
        chosen = labels.load_template(template or DEFAULT_TEMPLATE)
        base_url, _warning = labels.qr_url_base(self.paths, self.environ)
        rendered = labels.render(report, chosen, lang, base_url, site.organisation)
        pdf_path = self.paths.labels / f"{report.report_id}.r{report.revision}.pdf"
        labels.write_pdf(pdf_path, rendered.pdf)
        printed = flow.printed(self.record)
        if chosen_printer is not None:
            done = labels.print_label(
                self._printing_host(), rendered, chosen_printer, copies=copies
            )
            where = done.printer
            if done.job:
                text = _t(
                    "Étiquette imprimée sur {printer} (tâche {job}).", printer=where, job=done.job
                )
            else:
                text = _t("Étiquette envoyée à l'imprimante {printer}.", printer=where)
            if printed:
                text = join(" ", [text, _t("Réimpression n° {copy}.", copy=len(printed) + 1)])
            for w in done.warnings:
                text = join(" ", [text, w])
            entry = LabelRecord(
                template=chosen.name,
                printed_at=self.clock(),
                printer=where,
                output=str(pdf_path),
                kind=done.kind,  # type: ignore[arg-type]
                by=self.operator,
                copy=len(printed) + 1,
                copies=copies,
                reprint=bool(printed),
                job=done.job,
                revision=report.revision,
            )
        else:
            text = _t(
                "Étiquette prête (PDF, aucune imprimante configurée) : {name}", name=pdf_path.name
            )
            entry = LabelRecord(
                template=chosen.name,
                printed_at=self.clock(),
                output=str(pdf_path),
                by=self.operator,
                copy=0,
                copies=0,
                revision=report.revision,
            )
        self.update(
            label=entry,
            label_revision=report.revision,
            prints=[*self.record.prints, entry],
        )
        if entry.kind != "file":
            text = join(" ", [text, self._sign_prints()])
        return text

    def _printing_host(self) -> Host:
        """Where lp and lpstat run: this machine (the bench's printer is this machine's,
        even for a recorded unit in a demonstration), else the unit's host."""
        from bench_agent.host.live import LiveHost

        return self.runner if isinstance(self.runner, LiveHost) else self.host

    def _sign_prints(self) -> Text:
        """The print just recorded, signed into the unit's report at once (a unit
        closed right after printing still sends which label it carries). When that
        save fails, the print stays recorded in the sitting and the next save adds it."""
        try:
            saved = self.save()
        except BenchError as exc:
            return _t(
                "Attention : impression pas encore dans le rapport signé ({problem}) ; "
                "enregistrez à l'étape 7.",
                problem=exc.text,
            )
        said = _t("Ajoutée au rapport (révision {revision}).", revision=saved.revision)
        if saved.outbox_problem is not None:
            said = join(" ", [said, saved.outbox_problem])
        return said

    # -- sending -----------------------------------------------------------------------

    def send(self) -> sending.SendResult:
        from bench_agent.bench.record import SentRecord

        refusals = flow.send_refusals(self.record)
        if refusals:
            raise BenchError(_t("Envoi : {reason}", reason=refusals[0]), exit_code=1)
        result = sending.send_now(self.paths, self.environ)
        if result.ok:
            self.update(sent=SentRecord(revision=self.record.saved_revision, at=self.clock()))
        return result

    def outbox_state(self) -> sending.OutboxState:
        return sending.outbox_state(self.paths)

    def start_sender(self, links_host: Host | None = None) -> Sender:
        """The background sender: sends by itself when a document is saved, when a link
        of ``links_host`` (the live machine) comes up and when a retry is due (the app
        starts it)."""
        return sending.start_sender(self.paths, self.environ, host=links_host)

    def stop_sender(self, timeout: float = 10.0) -> None:
        sender = sending.running_sender(self.paths)
        if sender is not None:
            sender.stop(timeout)

    # -- next unit ---------------------------------------------------------------------

    def leave_warnings(self) -> list[Text]:
        return flow.leave_warnings(self.record, self.current_grade(), self.grading.required_tests)

    def next_unit(self) -> None:
        """Archive this sitting and start an empty one (the caller asked the technician
        first when :meth:`leave_warnings` is not empty)."""
        with self._lock:
            self.record = msgspec.structs.replace(self.record, closed_at=self.clock())
            self.store.close(self.record)
            self.record = new_record(self.clock(), self.operator)
            self.untested = {}
            self._save()

    # -- problems ----------------------------------------------------------------------

    def problem(self, exc: BaseException, where: str) -> Text:
        from bench_agent.bench.log import problem_text

        return problem_text(exc, self.paths.log, where)
