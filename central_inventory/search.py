"""The units search of the staff pages: one field matching any part of a unit's serial,
asset tag (idEsn), maker and model, an inventoried disk's serial or a certificate id;
filters, sorting and paging.

Matching is ``LOWER(column) LIKE '%fragment%'`` (LIKE metacharacters escaped) on both
databases: disk serials come from ``report_disks`` and certificate ids from
``report_certificates``, which ingestion already fills per unit, so nothing is
denormalised. Its speed with 3,000 units: ``benchmarks/bench_central_search.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from bench_agent.vocabulary import CATEGORY_ORDER
from central_inventory.auth import Principal
from central_inventory.db import Batch, Report, ReportCertificate, ReportDisk, Tenant, Unit
from central_inventory.ingest import STATUSES, has_control

PAGE_SIZE = 50
MAX_QUERY = 100
"""Characters of a search (the longest serial or id is shorter); longer is refused."""
SORTS = ("tag", "model", "category", "status", "updated")
FILTERS = ("tenant", "site", "category", "status", "batch", "date_from", "date_to")
MAX_FILTER = 64


def like_fragment(value: str) -> str:
    """A LIKE pattern matching ``value`` anywhere, its metacharacters taken literally
    (escape character: backslash)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FILTERS, ""))
    sort: str = "updated"
    descending: bool = True
    page: int = 1
    problems: list[str] = field(default_factory=list)
    """What was refused or ignored, as keys the page words (``query_too_long``…)."""

    @property
    def refused(self) -> bool:
        """Nothing is searched: the search text itself is unusable."""
        return any(p in {"query_too_long", "query_control"} for p in self.problems)


def parse_request(params: Any, principal: Principal) -> SearchRequest:
    """The search a query string asks for; bad values are dropped and named in
    ``problems`` (never an error page)."""
    wanted = SearchRequest()
    raw_q = params.get("q") or ""
    q = raw_q.strip()
    if len(q) > MAX_QUERY:
        wanted.problems.append("query_too_long")
        q = ""
    elif has_control(q):
        wanted.problems.append("query_control")
        q = ""
    wanted.q = q
    for name in FILTERS:
        value = (params.get(name) or "").strip()
        if len(value) > MAX_FILTER or has_control(value):
            wanted.problems.append(f"bad_{name}")
            value = ""
        wanted.filters[name] = value
    if wanted.filters["tenant"] and principal.role != "coordinator":
        wanted.filters["tenant"] = ""
    if wanted.filters["category"] and wanted.filters["category"] not in CATEGORY_ORDER:
        wanted.problems.append("bad_category")
        wanted.filters["category"] = ""
    if wanted.filters["status"] and wanted.filters["status"] not in STATUSES:
        wanted.problems.append("bad_status")
        wanted.filters["status"] = ""
    for name in ("date_from", "date_to"):
        if wanted.filters[name] and _day(wanted.filters[name]) is None:
            wanted.problems.append(f"bad_{name}")
            wanted.filters[name] = ""
    sort = params.get("sort") or "updated"
    wanted.sort = sort if sort in SORTS else "updated"
    direction = params.get("dir")
    # Latest update first by default; the other columns A to Z (best category first).
    if direction in {"asc", "desc"}:
        wanted.descending = direction == "desc"
    else:
        wanted.descending = wanted.sort == "updated"
    page = params.get("page") or "1"
    wanted.page = int(page) if page.isascii() and page.isdigit() and len(page) <= 6 else 1
    wanted.page = max(wanted.page, 1)
    return wanted


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _matches(q: str) -> Any:
    pattern = like_fragment(q.lower())

    def like(column: Any) -> Any:
        return func.lower(column).like(pattern, escape="\\")

    maker_model = func.coalesce(Unit.maker, "") + literal(" ") + func.coalesce(Unit.model, "")
    # Uncorrelated: each table is scanned once, not once per unit.
    disk = Unit.id.in_(
        select(Report.unit_id)
        .join(ReportDisk, ReportDisk.report_pk == Report.id)
        .where(like(ReportDisk.serial))
    )
    certificate = Unit.id.in_(
        select(ReportCertificate.unit_id).where(like(ReportCertificate.certificate_id))
    )
    return or_(like(Unit.serial), like(Unit.id_esn), like(maker_model), disk, certificate)


def _ordered(codes: tuple[str, ...], column: Any) -> Any:
    return case({code: index for index, code in enumerate(codes)}, value=column, else_=len(codes))


def _sort_key(sort: str) -> Any:
    if sort == "tag":
        return func.lower(func.coalesce(Unit.id_esn, ""))
    if sort == "model":
        return func.lower(func.coalesce(Unit.maker, "") + " " + func.coalesce(Unit.model, ""))
    if sort == "category":
        return _ordered(CATEGORY_ORDER, Unit.category)
    if sort == "status":
        return _ordered(tuple(STATUSES), Unit.status)
    return Unit.last_report_at


@dataclass
class SearchResult:
    rows: list[Any]
    """(Unit, tenant name, batch code) of the page asked for."""
    total: int
    page: int
    pages: int


def run_search(session: Session, principal: Principal, wanted: SearchRequest) -> SearchResult:
    conditions: list[Any] = []
    if principal.role != "coordinator":
        conditions.append(Unit.tenant_id == principal.tenant_id)
    if wanted.refused:
        return SearchResult([], 0, 1, 1)
    if wanted.q:
        conditions.append(_matches(wanted.q))
    filters = wanted.filters
    if filters["site"]:
        conditions.append(Unit.site == filters["site"].upper())
    if filters["category"]:
        conditions.append(Unit.category == filters["category"])
    if filters["status"]:
        conditions.append(Unit.status == filters["status"])
    if filters["batch"]:
        conditions.append(Batch.code == filters["batch"])
    if filters["tenant"]:
        conditions.append(Tenant.slug == filters["tenant"])
    day_from, day_to = _day(filters["date_from"]), _day(filters["date_to"])
    if day_from:
        conditions.append(Unit.last_report_at >= datetime.combine(day_from, time.min, UTC))
    if day_to:
        conditions.append(Unit.last_report_at <= datetime.combine(day_to, time.max, UTC))

    def scoped(query: Any) -> Any:
        query = query.join(Tenant, Tenant.id == Unit.tenant_id).outerjoin(
            Batch, Batch.id == Unit.batch_id
        )
        return query.where(and_(*conditions)) if conditions else query

    key = _sort_key(wanted.sort)
    order = [key.desc() if wanted.descending else key.asc(), Unit.id.desc()]
    # The total rides along each row (one pass over the matches instead of two).
    query = scoped(
        select(Unit, Tenant.name, Batch.code, func.count().over().label("total")).select_from(Unit)
    ).order_by(*order)

    def fetch(page: int) -> list[Any]:
        return list(session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))

    page = wanted.page
    rows = fetch(page)
    if not rows and page > 1:
        # Past the last page (an old link): count, then show the last page.
        total = session.scalar(scoped(select(func.count()).select_from(Unit))) or 0
        page = max(1, -(-total // PAGE_SIZE))
        rows = fetch(page) if total else []
    total = rows[0].total if rows else 0
    pages = max(1, -(-total // PAGE_SIZE))
    return SearchResult([(r[0], r[1], r[2]) for r in rows], total, page, pages)
