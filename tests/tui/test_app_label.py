"""Step 8 as a technician uses it, at 80 × 25: the printer off (a sentence, nothing
recorded), the retry, a reprint, each signed into the report at once; in French and in
English, nothing cut and no developer text."""

from __future__ import annotations

import socket

from bench_agent.bench.reports import load_report_file
from bench_agent.tui.screens.label import LabelScreen
from tests.labels.test_printers import READY, FakePort, parse_zpl
from tests.tui.conftest import AppFactory
from tests.tui.driving import SIZE, back, drive, open_step, scanner, screen_text, settle
from tests.tui.test_app import UNIT_ID, erase_x1_disk


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


@drive
async def test_print_fail_retry_reprint_from_step_8(make_app: AppFactory) -> None:
    app = make_app()
    site = app.service.paths.home / "site.toml"
    async with app.run_test(size=SIZE) as pilot:
        await scanner(app, pilot, UNIT_ID)
        erase_x1_disk(app)
        await open_step(app, pilot, "7")
        await pilot.press("enter")
        await settle(app, pilot)
        await back(app, pilot)

        # The printer is off: the sentence, nothing recorded; the same key retries.
        site.write_text(f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{closed_port()}"\n')
        await open_step(app, pilot, "8")
        assert isinstance(app.screen, LabelScreen)
        await pilot.press("i")
        await settle(app, pilot)
        shown = screen_text(app)
        assert "injoignable : éteinte, débranchée ou hors réseau ?" in shown
        assert "Allumez-la, vérifiez le câble puis réessayez." in shown
        assert app.service.record.prints == []

        for copy in (1, 2):
            printer = FakePort(READY)
            site.write_text(f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{printer.port}"\n')
            await pilot.press("i")
            await settle(app, pilot)
            assert parse_zpl(printer.close()).copies == 1
            assert len(app.service.record.prints) == copy
        shown = screen_text(app)
        assert "Dernière étiquette : révision 1, n° 2 (réimpression)," in shown
        assert "Réimpression n° 2." in shown and "révision 3)." in shown.replace("\n", " ")
        report = load_report_file(app.service.paths.report(app.service.record.report_id))
        assert report.report.revision == 3
        assert [(p.copy, p.reprint, p.revision) for p in report.report.label_prints] == [
            (1, False, 1),
            (2, True, 1),
        ]

        await pilot.press("f2")  # English: the same screen
        await settle(app, pilot)
        shown = screen_text(app)
        assert "Last label: revision 1, no. 2 (reprint)," in shown
        assert "Reprint no. 2. Added to the report" in shown
        for line in shown.splitlines():
            assert len(line.rstrip()) <= SIZE[0], line
        for developer in ("Traceback", "Error", "None", "zpl_", "label_prints", "{"):
            assert developer not in shown, developer
        await back(app, pilot)
