"""Prints are evidence, end to end (SQLite and PostgreSQL): a label printed on the bench
and the unit closed right after reach the central service in a signed revision that
adds the print and changes nothing the label certifies; a report whose prints cannot be
true is refused."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from central_harness import Running, TenantSetup
from test_bench_sync import Bench as SyncBench
from test_bench_sync import _sync
from test_central_revisions import _error, _revision, _send

from tests.labels.test_printers import print_on_a_zebra, printed_sitting
from wipe.signing import verify_envelope


def test_a_unit_closed_right_after_printing_reaches_central_with_its_print(
    server: Running, tmp_path: Path
) -> None:
    home = SyncBench(server, tmp_path)
    bench = printed_sitting(home.home)  # revision 1 saved
    printer, _, _ = print_on_a_zebra(bench, home.home)  # signed as revision 2
    report_id = bench.record.report_id
    bench.next_unit()

    code, out, err = _sync(home.home, "now", "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [f"{report_id}#1", f"{report_id}#2"]
    with server.client(home.tenant.staff_token) as client:
        latest = client.get(f"/api/v1/reports/{report_id}")
        first = client.get(f"/api/v1/reports/{report_id}", params={"revision": 1})
    assert latest.headers["X-Report-Revision"] == "2"
    current = verify_envelope(json.loads(latest.content))  # still verifies as received
    certified = verify_envelope(json.loads(first.content))
    assert current["revision"] == 2 and certified["label_prints"] == []
    (record,) = current["label_prints"]
    assert (record["revision"], record["copy"], record["reprint"], record["printer"]) == (
        1, 1, False, printer,
    )  # fmt: skip
    # Nothing the label says changed: the unit keeps its category on the service.
    new = ("revision", "label_prints")
    assert {k: v for k, v in current.items() if k not in new} == {
        k: v for k, v in certified.items() if k not in new
    }
    with server.client(home.tenant.staff_token) as client:
        unit = client.get("/api/v1/units", params={"id_esn": "LCT-0042-7"}).json()["data"][0]
    assert unit["category"] == certified["grade"]["category"]
    # The unit's page and its PDF report read the print-only revision as any other.
    with server.client() as browser:
        login = browser.post("/login", data={"token": home.tenant.staff_token})
        assert login.status_code == 303
        page = browser.get(f"/units/{unit['unit_id']}")
        pdf = browser.get(f"/units/{unit['unit_id']}/report.pdf")
    assert page.status_code == 200 and "PF0QMY5N" in page.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("revision", "said"),
    [(2, "certifies revision 2"), (5, "certifies revision 5"), (None, "revision: missing")],
)
def test_a_print_claiming_a_revision_the_report_cannot_list_is_refused(
    server: Running, tenant_a: TenantSetup, revision: int | None, said: str
) -> None:
    payload = _revision(tenant_a, str(uuid.uuid4()), 2, machine=3)
    payload["label_prints"] = [
        {"template": "brother-ql-62x29", "kind": "cups", "printer": "Q", "copy": 1,
         "reprint": False, "revision": revision, "printed_at": "2026-12-03T10:00:00Z"}
    ]  # fmt: skip
    before = server.counts()
    response = _send(server, tenant_a, payload)  # correctly signed: the content is refused
    assert _error(response) == (422, "invalid_report")
    assert said in json.dumps(response.json()["error"]["detail"])
    assert server.counts() == before
    payload["label_prints"][0]["revision"] = 1  # the same print, true: stored
    assert _send(server, tenant_a, payload).status_code == 201
