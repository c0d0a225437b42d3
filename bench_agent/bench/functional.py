"""The functional tests the law requires: running the interactive ones' machine side
(tone, recording, USB plug, backlight) and turning an outcome into the report's record."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bench_agent.functional.catalogue import CATALOGUE, Outcome, Result
from bench_agent.i18n import N_, _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.functional.profile import FunctionalProfile
    from bench_agent.host.base import Host
    from bench_agent.model.report import FunctionalTest

TEST_NAMES = tuple(t.name for t in CATALOGUE)


def profile() -> FunctionalProfile:
    from bench_agent.functional import load_functional_profile

    return load_functional_profile()


def record_of(
    outcome: Outcome, *, by: str | None, at: str, comment: str | None = None
) -> FunctionalTest | None:
    """The report's record of one outcome — or None when the test could not be run (a
    program missing): "not tested" is never a result, and never a pass. A part the machine
    does not show (no webcam found) is a failure until the technician confirms the model
    has none (:func:`confirmed_absent`)."""
    from bench_agent.model.report import FunctionalTest

    if outcome.result == "n/a" and outcome.missing == "tool":
        return None
    result: Result = outcome.result
    data = dict(outcome.data)
    if outcome.result == "n/a":
        # missing == "part" (or an unqualified n/a): the law requires the function.
        result = "fail"
        data["absent"] = True
    return FunctionalTest(
        name=outcome.name,
        result=result,
        by=by,
        at=at,
        comment=comment or outcome.reason.fr,
        data=data,
    )


def confirmed_absent(name: str, *, by: str | None, at: str) -> FunctionalTest:
    """The technician confirms this model has no such part (no Ethernet port on an
    ultrabook, no webcam on an old model): not applicable, with who and when."""
    from bench_agent.model.report import FunctionalTest

    return FunctionalTest(
        name=name,
        result="n/a",
        by=by,
        at=at,
        comment=N_("absent sur ce modèle (confirmé par le technicien)"),
        data={"absent": True, "confirmed": True},
    )


def answered(
    name: str,
    yes: bool,
    *,
    by: str | None,
    at: str,
    data: dict[str, str | int | float | bool | None] | None = None,
) -> FunctionalTest:
    """The technician's yes/no after looking or listening."""
    from bench_agent.model.report import FunctionalTest

    return FunctionalTest(
        name=name,
        result="pass" if yes else "fail",
        by=by,
        at=at,
        # Marked for the catalogue: documents print them in English (translate()).
        comment=N_("confirmé par le technicien")
        if yes
        else N_("défaut constaté par le technicien"),
        data=dict(data or {}),
    )


def merge_usb(previous: FunctionalTest | None, new: FunctionalTest) -> FunctionalTest:
    """One pass per port tried: the ports seen add up; an earlier failure stays."""
    if previous is None or new.name != "usb" or new.result != "pass":
        return new
    ports = f"{previous.data.get('ports') or ''} {new.data.get('port') or ''}".split()
    unique = " ".join(dict.fromkeys(ports))
    result: Result = "fail" if previous.result == "fail" else "pass"
    return type(new)(
        name=new.name,
        result=result,
        by=new.by,
        at=new.at,
        comment=previous.comment if result == "fail" else new.comment,
        data={**previous.data, **new.data, "ports": unique},
    )


def untested_reason(outcome: Outcome) -> Text | None:
    """Why a test could not be run, when it could not."""
    if outcome.result == "n/a" and outcome.missing == "tool":
        return outcome.reason
    return None


# -- the machine side of the interactive tests ------------------------------------------


def automatic_checks(
    host: Host, on_error: Callable[[str, Exception], object] | None = None
) -> list[Outcome]:
    """Every automatic check, each on its own: one the bench cannot run (a listing it
    cannot read, a recording without it) is "not tested" with the detail logged, and
    the others still give their result."""
    from bench_agent.functional import checks

    prof = profile()
    runs: list[tuple[str, Callable[[], Outcome]]] = [
        ("webcam", lambda: checks.check_webcam(host)),
        ("wifi", lambda: checks.check_wifi(host, prof)),
        ("ethernet", lambda: checks.check_ethernet(host)),
        ("charger", lambda: checks.check_charger(host)),
        ("battery_autonomy", lambda: checks.check_battery(host, prof)),
    ]
    outcomes = []
    for name, run in runs:
        try:
            outcomes.append(run())
        except Exception as exc:  # one unreadable source must not stop the other checks
            if on_error is not None:
                on_error(name, exc)
            outcomes.append(
                Outcome(
                    name,
                    "n/a",
                    _t("impossible sur ce banc (voir le journal du banc)"),
                    missing="tool",
                )
            )
    return outcomes


def play_tone(host: Host) -> Outcome | None:
    """Play the test tone; None when it played (the technician then answers)."""
    from bench_agent.functional.audio import tone_argv

    argv = tone_argv()
    if not host.which(argv[0]):
        return Outcome(
            "speakers",
            "n/a",
            _t("programme de son absent du banc (alsa-utils)"),
            missing="tool",
        )
    result = host.run(argv, timeout_s=20.0)
    if result.ok:
        return None
    return Outcome("speakers", "fail", _t("aucune sortie son détectée"))


def record_microphone(host: Host) -> Outcome:
    from bench_agent.functional.audio import judge_recording, record_argv

    prof = profile()
    argv = record_argv(prof.microphone_record_s)
    if not host.which(argv[0]):
        return Outcome(
            "microphone",
            "n/a",
            _t("programme d'enregistrement absent du banc (alsa-utils)"),
            missing="tool",
        )
    result = host.run(argv, timeout_s=prof.microphone_record_s + 10.0)
    if not result.ok:
        return Outcome("microphone", "fail", _t("aucune entrée son détectée"))
    return judge_recording(result.stdout, prof.microphone_min_level_dbfs)


def usb_devices(host: Host) -> set[str]:
    from bench_agent.functional.usb import devices

    return devices(host)


def wait_usb_plug(host: Host, before: set[str], cancelled: Callable[[], bool]) -> Outcome:
    from bench_agent.functional.usb import root_hubs, root_port, wait_for_new_device

    prof = profile()
    if not root_hubs(host):
        return Outcome("usb", "n/a", _t("aucun contrôleur USB"), missing="part")
    found = wait_for_new_device(
        host, before, prof.usb_plug_timeout_s, prof.usb_poll_interval_s, cancelled=cancelled
    )
    if found is None:
        if cancelled():
            return Outcome("usb", "n/a", _t("test arrêté"), missing="tool")
        t = f"{prof.usb_plug_timeout_s:g}"
        return Outcome(
            "usb",
            "fail",
            _t("aucune clé vue en {t} s : port défectueux ?", t=t),
        )
    port = root_port(found)
    return Outcome(
        "usb",
        "pass",
        _t("clé vue sur le port {port}", port=port),
        {"port": port, "ports": port},
    )


def backlight_present(host: Host) -> bool:
    return bool(host.list_dir("/sys/class/backlight"))
