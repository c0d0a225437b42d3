"""Server-rendered pages (Jinja2): French first with an English toggle, usable on a phone,
no external resource (no CDN, no web font, no script needed)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench_agent import vocabulary
from bench_agent.vocabulary import CATEGORY_ORDER, word
from central_inventory.auth import (
    SESSION_LIFETIME,
    PageSession,
    Principal,
    authenticate,
    close_session,
    hash_token,
    open_session,
    resume_session,
)
from central_inventory.batch_report import (
    OUTCOME_COUNTS,
    OUTCOME_LABELS,
    OUTCOMES,
    build,
    disk_fate,
    filter_lines,
    filter_loose,
    format_day,
    format_moment,
    to_csv,
    to_pdf,
    verify_url,
)
from central_inventory.db import Batch, Certificate, Report, Unit, parse_pk
from central_inventory.errors import ApiError
from central_inventory.evidence import (
    certificate_row,
    public_certificate,
    report_row,
    unit_view,
    verify_certificates,
)
from central_inventory.formatting import Formatter, zone
from central_inventory.ingest import STATUSES, valid_id

HERE = Path(__file__).parent
COOKIE = "ci_session"
LANG_COOKIE = "lang"
CATEGORIES = ("PREMIUM", "A", "B", "C", "D", "TO_REPAIR", "NOT_DISTRIBUTABLE")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)


@functools.cache
def _display_zone(name: str) -> ZoneInfo:
    return zone(name)


def request_lang(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "fr"
    return "en" if wanted == "en" else "fr"


def _services(request: Request) -> Any:
    return request.app.state.services


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = request_lang(request)

    def t(fr: str, en: str) -> str:
        return en if lang == "en" else fr

    def other_lang_url() -> str:
        params = dict(request.query_params)
        params["lang"] = "fr" if lang == "en" else "en"
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
        return f"{request.url.path}?{query}"

    page_session: PageSession | None = getattr(request.state, "page_session", None)
    context.setdefault("csrf", page_session.csrf_token if page_session else "")
    context.setdefault("flash", page_session.flash if page_session else None)
    html = _env.get_template(template).render(
        t=t,
        lang=lang,
        other_lang_url=other_lang_url(),
        request=request,
        word=lambda kind, code, in_lang=None: word(kind, code, in_lang or lang),
        choices=lambda kind: vocabulary.choices(kind, lang),
        fmt=Formatter(lang, _display_zone(_services(request).settings.timezone)),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in {"fr", "en"}:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    # Pages may hold units' serials: never cached by a shared proxy, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def render_not_found(request: Request) -> HTMLResponse:
    return render(
        request,
        "message.html",
        status=404,
        title=("Page introuvable", "Page not found"),
        body=("Cette page n'existe pas.", "This page does not exist."),
        principal=None,
    )


def _page_session(request: Request, session: Session) -> PageSession | None:
    """The staff page session the cookie names (kept on ``request.state`` for render)."""
    page = resume_session(session, request.cookies.get(COOKIE))
    request.state.page_session = page
    request.state.db_session = session  # for templates' lookups while the page renders
    return page


def _page_principal(request: Request, session: Session) -> Principal | None:
    page = _page_session(request, session)
    return page.principal if page is not None else None


def _status_history(request: Request, unit_id: int) -> list[Any]:
    """The unit's manual status changes (``_status_history.html``, on the unit page)."""
    from central_inventory.staff import status_history

    # The page's own database session: on SQLite a second one would wait for its lock.
    session: Session | None = getattr(request.state, "db_session", None)
    if session is not None:
        return status_history(session, unit_id)
    with _services(request).sessions() as own:
        return status_history(own, unit_id)


_env.globals["status_history"] = _status_history


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def register_pages(app: FastAPI) -> None:
    @app.get("/static/style.css", include_in_schema=False)
    def stylesheet() -> Response:
        return FileResponse(HERE / "static" / "style.css", media_type="text/css")

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/units", status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/units") -> Response:
        return render(request, "login.html", principal=None, next=_safe_next(next), error=None)

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(""), next: str = Form("/units")) -> Response:
        services = _services(request)
        with services.sessions() as session:
            try:
                principal = authenticate(session, token.strip())
            except ApiError:
                principal = None
            if principal is None or principal.role not in {"staff", "coordinator"}:
                return render(
                    request,
                    "login.html",
                    status=401,
                    principal=None,
                    next=_safe_next(next),
                    error=True,
                )
            # The cookie names a server-side session, never the access code itself; a
            # session the browser held before is ended (a fresh id at every login).
            close_session(session, request.cookies.get(COOKIE))
            session_id = open_session(session, principal)
            session.commit()
        settings = services.settings
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE,
            session_id,
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure
            or (settings.public_url or "").lower().startswith("https://"),
            max_age=int(SESSION_LIFETIME.total_seconds()),
        )
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        # Revoked server-side: the old cookie opens nothing afterwards, even replayed.
        with _services(request).sessions() as session:
            close_session(session, request.cookies.get(COOKIE))
            session.commit()
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    from central_inventory.staff_pages import register_staff_pages

    register_staff_pages(app)

    @app.get("/units/{unit_id}", include_in_schema=False)
    def unit_page(request: Request, unit_id: str) -> Response:
        with _services(request).sessions() as session:
            principal = _page_principal(request, session)
            if principal is None:
                return _login_redirect(request)
            pk = parse_pk(unit_id)
            view = unit_view(session, pk) if pk is not None else None
            if view is None or not principal.can_see_tenant(view.unit.tenant_id):
                return render_not_found(request)
            return render(
                request,
                "unit.html",
                principal=principal,
                view=view,
                report=view.latest,
            )

    @app.get("/units/{unit_id}/report.pdf", include_in_schema=False)
    def unit_report_download(request: Request, unit_id: str) -> Response:
        """Staff: the unit's test report (décret 2022-190) as a PDF, erasures from the
        certificates stored and verified here."""
        from central_inventory.unit_document import UnreadableReportError, unit_report_pdf

        lang = request_lang(request)
        with _services(request).sessions() as session:
            principal = _page_principal(request, session)
            if principal is None:
                return _login_redirect(request)
            pk = parse_pk(unit_id)
            view = unit_view(session, pk) if pk is not None else None
            if view is None or not principal.can_see_tenant(view.unit.tenant_id):
                return render_not_found(request)
            try:
                pdf = unit_report_pdf(session, view, lang)
            except UnreadableReportError:
                return render(
                    request,
                    "message.html",
                    status=404,
                    title=("Pas de rapport lisible", "No readable report"),
                    body=(
                        "Cette unité n'a pas de rapport que ce service sache mettre en PDF.",
                        "This unit has no report this service can turn into a PDF.",
                    ),
                    principal=principal,
                )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="unite-{pk}-rapport.pdf"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/evidence/{kind}/{item_id}.json", include_in_schema=False)
    def evidence_download(request: Request, kind: str, item_id: str) -> Response:
        """Staff: a stored envelope as received, for audits and offline verification."""
        with _services(request).sessions() as session:
            principal = _page_principal(request, session)
            if principal is None:
                return _login_redirect(request)
            row: Report | Certificate | None = None
            filename = f"{kind}-{item_id}.json"
            if kind == "report":
                # The highest revision received, or ?revision=N (any other value: not found).
                wanted = request.query_params.get("revision")
                revision = parse_pk(wanted) if wanted is not None else None
                report = None
                if wanted is None or revision is not None:
                    report = report_row(session, item_id, revision, principal.tenant_id)
                if report is not None:
                    filename = f"report-{item_id}-r{report.revision}.json"
                row = report
            elif kind == "certificate":
                row = certificate_row(session, item_id, principal.tenant_id)
            if row is None or not principal.can_see_tenant(row.tenant_id):
                return render_not_found(request)
            return Response(
                row.envelope,
                media_type="application/json",
                headers={
                    "Content-Disposition": f'attachment; filename="{filename}"',
                    "Cache-Control": "no-store",
                },
            )

    @app.get("/dashboard", include_in_schema=False)
    def dashboard(request: Request) -> Response:
        with _services(request).sessions() as session:
            principal = _page_principal(request, session)
            if principal is None:
                return _login_redirect(request)
            query = select(Unit.site, Unit.category, Unit.status, Unit.first_seen_at)
            if principal.role != "coordinator":
                query = query.where(Unit.tenant_id == principal.tenant_id)
            rows = session.execute(query).all()
        tz = _display_zone(_services(request).settings.timezone)
        by_cell: Counter[tuple[str, str, str]] = Counter()
        by_quarter: Counter[tuple[int, int, int, int, int, Any]] = Counter()
        for site, category, status, first_seen in rows:
            by_cell[(site or "", category or "", status)] += 1
            key = (
                first_seen.year,
                first_seen.month,
                first_seen.day,
                first_seen.hour,
                first_seen.minute // 15,  # every time zone's offset is whole quarters
                first_seen.tzinfo,
            )
            by_quarter[key] += 1
        # The month in the display time zone, converted once per quarter hour of arrival
        # (not per unit: 3,000 conversions cost more than the rest of the page).
        by_month: Counter[str] = Counter()
        for (year, month, day, hour, quarter, tzinfo), count in by_quarter.items():
            # SQLite gives back naive UTC datetimes.
            arrived = datetime(year, month, day, hour, quarter * 15, tzinfo=tzinfo or UTC)
            arrived = arrived.astimezone(tz)
            by_month[f"{arrived.year:04d}-{arrived.month:02d}"] += count
        # The network's status order, then any status it does not know (never hidden).
        present = {k[2] for k in by_cell}
        statuses = [s for s in STATUSES if s in present] + sorted(present - set(STATUSES))
        pivot: dict[tuple[str, str], dict[str, int]] = {}
        for (site, category, status), count in by_cell.items():
            pivot.setdefault((site, category), {})[status] = count
        rank = {code: i for i, code in enumerate(CATEGORY_ORDER)}

        def order(key: tuple[str, str]) -> tuple[str, int, str]:
            site, category = key
            # Categories best first; an unknown one after them, no category last.
            return (site, rank.get(category, len(rank) + (1 if category else 2)), category)

        return render(
            request,
            "dashboard.html",
            principal=principal,
            total=len(rows),
            pivot=sorted(pivot.items(), key=lambda item: order(item[0])),
            by_month=sorted(by_month.items()),
            statuses=statuses,
        )

    @app.get("/batches/{batch_id}/report.{fmt}", include_in_schema=False)
    def batch_download(request: Request, batch_id: str, fmt: str) -> Response:
        with _services(request).sessions() as session:
            principal = _page_principal(request, session)
            if principal is None:
                return _login_redirect(request)
            pk = parse_pk(batch_id)
            batch = session.get(Batch, pk) if pk is not None else None
            if (
                batch is None
                or not principal.can_see_tenant(batch.tenant_id)
                or fmt not in {"csv", "pdf"}
            ):
                return render_not_found(request)
            return _download(request, build(session, batch), fmt)

    @app.get("/donor/{token}", include_in_schema=False)
    def donor_page(request: Request, token: str) -> Response:
        """The donor's read-only page: counts in laptops, then the laptops sorted by asset
        tag, DONOR_PAGE_SIZE a page, with a search (a GET form: the pages run no script)."""
        with _services(request).sessions() as session:
            batch = _donor_batch(session, token)
            if batch is None:
                return render_not_found(request)
            report = build(session, batch)
        q = (request.query_params.get("q") or "").strip()[:100]
        shown = filter_lines(report, q)
        loose = filter_loose(report, q)
        pages = max(1, -(-len(shown) // DONOR_PAGE_SIZE))
        wanted = parse_pk(request.query_params.get("page") or "1") or 1
        page = min(wanted, pages)
        lines = shown[(page - 1) * DONOR_PAGE_SIZE : page * DONOR_PAGE_SIZE]
        lang = request_lang(request)
        return render(
            request,
            "donor.html",
            principal=None,
            report=report,
            token=token,
            q=q,
            lines=lines,
            loose=loose,
            matches=len(shown),
            page=page,
            pages=pages,
            page_url=lambda n: (
                f"/donor/{quote(token, safe='')}?"
                + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in (("q", q), ("page", n)) if v)
            ),
            outcomes=OUTCOMES,
            outcome_labels=OUTCOME_LABELS,
            outcome_counts=OUTCOME_COUNTS,
            disk_fate=lambda line, disk: disk_fate(line, disk, lang),
            format_day=lambda value: format_day(value, lang),
            format_moment=lambda value: format_moment(value, lang),
            generated_at=datetime.now(UTC),
            verify_url=lambda cid: verify_url(_services(request).settings.link_base(), cid),
        )

    @app.get("/donor/{token}/report.{fmt}", include_in_schema=False)
    def donor_download(request: Request, token: str, fmt: str) -> Response:
        with _services(request).sessions() as session:
            batch = _donor_batch(session, token)
            if batch is None or fmt not in {"csv", "pdf"}:
                return render_not_found(request)
            return _download(request, build(session, batch), fmt)

    @app.get("/verify/{certificate_id}", include_in_schema=False)
    def verify_page(request: Request, certificate_id: str) -> Response:
        """Public: what the certificate proves, with the proof elements (signature, bench
        key, the network's statement, downloads) and how to check them without us."""
        network = _network_key(request)
        with _services(request).sessions() as session:
            found = (
                verify_certificates(session, certificate_id, network)
                if valid_id(certificate_id)
                else []
            )
        lang = request_lang(request)
        return render(
            request,
            "verify.html",
            status=200 if found else 404,
            principal=None,
            found=found,
            certificate_id=certificate_id[:128],
            quoted_id=quote(certificate_id[:128], safe=""),
            format_moment=lambda value: format_moment(value, lang),
            format_day=lambda value: format_day(value, lang),
            verification_words=lambda mode: _verification_words(mode, lang),
            has_network_key=network is not None,
        )

    @app.get("/verify/{certificate_id}/{payload_sha256}.json", include_in_schema=False)
    def public_certificate_download(
        request: Request, certificate_id: str, payload_sha256: str
    ) -> Response:
        """Public: a certificate's signed envelope exactly as the bench signed it (named by
        id and payload digest; one whose signature no longer verifies is not served).
        It holds what the bench signed, the disk's and the computer's full serials and
        the operator's name included (a signature cannot be kept with parts removed):
        the same as the paper certificate handed with the device, reachable only by who
        holds the certificate id (a random UUID printed on the device's label and the
        donor's report). Unit reports are never public (``/evidence/`` needs staff)."""
        with _services(request).sessions() as session:
            found = public_certificate(session, certificate_id, payload_sha256)
        if found is None:
            return render_not_found(request)
        certificate = found[0]
        return Response(
            certificate.envelope,
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="certificate.json"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @app.get(
        "/verify/{certificate_id}/{payload_sha256}/key-statement.json", include_in_schema=False
    )
    def public_key_statement(
        request: Request, certificate_id: str, payload_sha256: str
    ) -> Response:
        """Public: the network's signed statement for the key of the bench that signed this
        certificate, as the database says it now (tenant slug, bench name, key, dates)."""
        from central_inventory.trust import statement_for

        network = _network_key(request)
        with _services(request).sessions() as session:
            found = public_certificate(session, certificate_id, payload_sha256)
        if found is None or network is None:
            return render_not_found(request)
        _certificate, bench, tenant = found
        return Response(
            json.dumps(statement_for(network, bench, tenant), ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="key-statement.json"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @app.get("/network-key.pem", include_in_schema=False)
    def network_public_key(request: Request) -> Response:
        """Public: the network's public key (PEM), what key statements are checked with."""
        from wipe.signing import public_key_pem

        network = _network_key(request)
        if network is None:
            return render_not_found(request)
        return Response(
            public_key_pem(network.public_raw),
            media_type="application/x-pem-file",
            headers={"Content-Disposition": 'attachment; filename="network-key.pem"'},
        )


DONOR_PAGE_SIZE = 20
"""Laptops per donor page (a 500-laptop batch is 25 pages, not one endless page)."""


def _network_key(request: Request) -> Any:
    """The network key (None when not created or unreadable: pages say so)."""
    from central_inventory.trust import NetworkKeyError, load_network_key

    try:
        return load_network_key(_services(request).settings.network_key)
    except NetworkKeyError:
        return None


def _verification_words(mode: str | None, lang: str) -> str:
    from bench_agent.documents.unit_report_pdf import VERIFICATION_MODES
    from bench_agent.i18n import translator

    msgid = VERIFICATION_MODES.get(mode or "")
    return translator(lang)(msgid) if msgid else (mode or "—")


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our domain.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/units"
    return target


def _donor_batch(session: Session, token: str) -> Batch | None:
    if not token or len(token) > 100:
        return None
    return session.scalars(select(Batch).where(Batch.donor_token_hash == hash_token(token))).first()


def _download(request: Request, report: Any, fmt: str) -> Response:
    lang = request_lang(request)
    base = _services(request).settings.link_base()
    safe_code = "".join(c if c.isalnum() or c in "-_" else "_" for c in report.code)
    if fmt == "csv":
        data, media = to_csv(report, base, lang), "text/csv; charset=utf-8"
    else:
        data, media = to_pdf(report, base, lang), "application/pdf"
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="lot-{safe_code}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
