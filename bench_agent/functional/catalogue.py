"""The functional tests a refurbished laptop goes through, and one test's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bench_agent.i18n import N_, _t
from bench_agent.model.common import Text

Result = Literal["pass", "fail", "n/a"]
DataValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class TestSpec:
    """One test of the catalogue: its report name, its titles and how it is run."""

    __test__ = False  # not a pytest test class despite the name

    name: str
    """The name stored in ``FunctionalTest.name``."""
    title_msgid: str
    instructions_msgid: str
    automatic: bool
    """True when the machine alone decides (no technician answer)."""
    key: str
    """The key that runs it in the bench app's step."""

    @property
    def title(self) -> Text:
        return _t(self.title_msgid)

    @property
    def instructions(self) -> Text:
        return _t(self.instructions_msgid)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one test with the reason the technician reads."""

    name: str
    result: Result
    reason: Text
    data: dict[str, DataValue] = field(default_factory=dict)
    missing: Literal["part", "tool"] | None = None
    """Why an ``n/a`` is one: ``part`` — the machine shows no such part (a failure unless
    the technician confirms the model has none); ``tool`` — the bench could not test it
    (a program missing, not root): not tested, never a pass."""


CATALOGUE: tuple[TestSpec, ...] = (
    TestSpec(
        "keyboard",
        N_("Clavier"),
        N_(
            "Appuyez sur chaque touche : elle s'allume sur le plan AZERTY. "
            "Échap trois fois de suite termine avant la fin."
        ),
        False,
        "k",
    ),
    TestSpec(
        "screen",
        N_("Écran (couleurs, pixels morts)"),
        N_(
            "L'écran se remplit de rouge, vert, bleu, blanc puis noir. Pour chaque couleur : "
            "o si l'écran est uniforme, n si vous voyez un pixel mort ou une tache."
        ),
        False,
        "e",
    ),
    TestSpec(
        "backlight",
        N_("Rétroéclairage"),
        N_(
            "Pendant 10 s, baissez puis montez la luminosité avec les touches Fn ; "
            "l'application lit la valeur. Puis o/n : la luminosité a-t-elle changé ?"
        ),
        False,
        "l",
    ),
    TestSpec(
        "webcam",
        N_("Webcam"),
        N_("Automatique : caméra présente et une image capturée (ffmpeg ou v4l2-ctl)."),
        True,
        "a",
    ),
    TestSpec(
        "microphone",
        N_("Microphone"),
        N_("Parlez près de l'appareil pendant l'enregistrement de 3 s ; le niveau est mesuré."),
        False,
        "m",
    ),
    TestSpec(
        "speakers",
        N_("Haut-parleurs"),
        N_("Un son de 440 Hz est joué. Puis o/n : l'avez-vous entendu des deux côtés ?"),
        False,
        "h",
    ),
    TestSpec(
        "usb",
        N_("Ports USB"),
        N_(
            "Touche u, puis branchez une clé USB dans un port : elle doit être vue. "
            "Recommencez (u) pour chaque port."
        ),
        False,
        "u",
    ),
    TestSpec(
        "wifi",
        N_("Wi-Fi"),
        N_("Automatique : une recherche de réseaux en trouve au moins un."),
        True,
        "a",
    ),
    TestSpec(
        "ethernet",
        N_("Ethernet"),
        N_("Automatique : branchez un câble réseau, le lien doit monter."),
        True,
        "a",
    ),
    TestSpec(
        "charger",
        N_("Chargeur"),
        N_("Automatique : branchez le chargeur, il doit être vu en ligne."),
        True,
        "a",
    ),
    TestSpec(
        "battery_autonomy",
        N_("Autonomie de la batterie"),
        N_("Automatique : santé (capacité pleine / d'origine) et autonomie estimée sur batterie."),
        True,
        "a",
    ),
)

AUTOMATIC = tuple(t.name for t in CATALOGUE if t.automatic)


def spec(name: str) -> TestSpec:
    """The catalogue entry named ``name`` (KeyError for an unknown test)."""
    for entry in CATALOGUE:
        if entry.name == name:
            return entry
    raise KeyError(name)
