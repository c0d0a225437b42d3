"""The functional tests a refurbished laptop goes through, and one test's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bench_agent.i18n import tr
from bench_agent.model.common import Text

Result = Literal["pass", "fail", "n/a"]
DataValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class TestSpec:
    """One test of the catalogue: its report name, its titles and how it is run."""

    __test__ = False  # not a pytest test class despite the name

    name: str
    """The name stored in ``FunctionalTest.name``."""
    title: Text
    instructions: Text
    automatic: bool
    """True when the machine alone decides (no technician answer)."""
    key: str
    """The key that runs it in the bench app's step."""


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
        tr("Clavier", "Keyboard"),
        tr(
            "Appuyez sur chaque touche : elle s'allume sur le plan AZERTY. "
            "Échap trois fois de suite termine avant la fin.",
            "Press every key: it lights up on the AZERTY map. Esc three times in a row ends early.",
        ),
        False,
        "k",
    ),
    TestSpec(
        "screen",
        tr("Écran (couleurs, pixels morts)", "Screen (colours, dead pixels)"),
        tr(
            "L'écran se remplit de rouge, vert, bleu, blanc puis noir. Pour chaque couleur : "
            "o si l'écran est uniforme, n si vous voyez un pixel mort ou une tache.",
            "The screen fills with red, green, blue, white then black. For each colour: "
            "y if it is even, n if you see a dead pixel or a mark.",
        ),
        False,
        "e",
    ),
    TestSpec(
        "backlight",
        tr("Rétroéclairage", "Backlight"),
        tr(
            "Pendant 10 s, baissez puis montez la luminosité avec les touches Fn ; "
            "l'application lit la valeur. Puis o/n : la luminosité a-t-elle changé ?",
            "For 10 s, lower then raise the brightness with the Fn keys; the app reads "
            "the value. Then y/n: did the brightness change?",
        ),
        False,
        "l",
    ),
    TestSpec(
        "webcam",
        tr("Webcam", "Webcam"),
        tr(
            "Automatique : caméra présente et une image capturée (ffmpeg ou v4l2-ctl).",
            "Automatic: a camera is present and one frame is captured (ffmpeg or v4l2-ctl).",
        ),
        True,
        "a",
    ),
    TestSpec(
        "microphone",
        tr("Microphone", "Microphone"),
        tr(
            "Parlez près de l'appareil pendant l'enregistrement de 3 s ; le niveau est mesuré.",
            "Speak close to the unit during the 3 s recording; the level is measured.",
        ),
        False,
        "m",
    ),
    TestSpec(
        "speakers",
        tr("Haut-parleurs", "Speakers"),
        tr(
            "Un son de 440 Hz est joué. Puis o/n : l'avez-vous entendu des deux côtés ?",
            "A 440 Hz tone plays. Then y/n: did you hear it from both sides?",
        ),
        False,
        "h",
    ),
    TestSpec(
        "usb",
        tr("Ports USB", "USB ports"),
        tr(
            "Touche u, puis branchez une clé USB dans un port : elle doit être vue. "
            "Recommencez (u) pour chaque port.",
            "Press u, then plug a USB stick into one port: it must be seen. "
            "Repeat (u) for every port.",
        ),
        False,
        "u",
    ),
    TestSpec(
        "wifi",
        tr("Wi-Fi", "Wi-Fi"),
        tr(
            "Automatique : une recherche de réseaux en trouve au moins un.",
            "Automatic: a network scan finds at least one network.",
        ),
        True,
        "a",
    ),
    TestSpec(
        "ethernet",
        tr("Ethernet", "Ethernet"),
        tr(
            "Automatique : branchez un câble réseau, le lien doit monter.",
            "Automatic: plug a network cable, the link must come up.",
        ),
        True,
        "a",
    ),
    TestSpec(
        "charger",
        tr("Chargeur", "Charger"),
        tr(
            "Automatique : branchez le chargeur, il doit être vu en ligne.",
            "Automatic: plug the charger, it must be seen online.",
        ),
        True,
        "a",
    ),
    TestSpec(
        "battery_autonomy",
        tr("Autonomie de la batterie", "Battery autonomy"),
        tr(
            "Automatique : santé (capacité pleine / d'origine) et autonomie estimée sur batterie.",
            "Automatic: health (full / design capacity) and estimated runtime on battery.",
        ),
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
