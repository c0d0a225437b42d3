"""The staff's pages: units search, donor batches (create, donor link, assign units by
scanning asset tags) and a unit's status set by hand.

Every form carries its session's CSRF token and answers with a redirect (POST, redirect,
GET); what happened is a one-time message kept in the session (``flash``). The work
itself is ``central_inventory.staff``, shared with the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central_inventory.auth import PageSession, check_csrf, set_flash
from central_inventory.db import Batch, Tenant, Unit, parse_pk
from central_inventory.errors import ApiError
from central_inventory.i18n import tr
from central_inventory.search import (
    MAX_QUERY,
    PAGE_SIZE,
    SORTS,
    parse_request,
    run_search,
)
from central_inventory.staff import (
    MAX_SCANNED_LINES,
    assign_units,
    create_batch,
    reissue_donor_link,
    scanned_lines,
    set_status,
    too_many_lines,
)
from central_inventory.web import (
    _login_redirect,
    _page_session,
    _services,
    render,
    render_not_found,
)

MAX_FORM_TEXT = MAX_SCANNED_LINES * 80
"""Characters of the scanned-tags field read at most (longer is refused whole)."""


def _csrf_refused(request: Request) -> Response:
    return render(
        request,
        "message.html",
        status=403,
        title=("Formulaire refusé", "Form refused"),
        body=(
            "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et "
            "recommencez.",
            "This form has expired or did not come from this page: reload the page and try again.",
        ),
        principal=None,
    )


def _flash(request: Request, page: PageSession, message: dict[str, Any]) -> None:
    with _services(request).sessions() as session:
        set_flash(session, page.pk, message)
        session.commit()


def _error_flash(error: ApiError, where: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "error", "where": where, **error.message, **extra}


def _page_url(params: dict[str, str], **changes: str | int) -> str:
    merged = {k: v for k, v in {**params, **{k: str(v) for k, v in changes.items()}}.items() if v}
    return "/units" + (f"?{urlencode(merged)}" if merged else "")


def register_staff_pages(app: FastAPI) -> None:
    @app.get("/units", include_in_schema=False)
    def units_page(request: Request) -> Response:
        with _services(request).sessions() as session:
            page = _page_session(request, session)
            if page is None:
                return _login_redirect(request)
            principal = page.principal
            wanted = parse_request(request.query_params, principal)
            result = run_search(session, principal, wanted)
            if wanted.q and result.total == 1 and not wanted.problems:
                # One hit: straight to the unit.
                return RedirectResponse(f"/units/{result.rows[0][0].id}", status_code=303)
            sites_query = select(Unit.site).distinct()
            batches_query = select(Batch.code).distinct()
            if principal.role != "coordinator":
                sites_query = sites_query.where(Unit.tenant_id == principal.tenant_id)
                batches_query = batches_query.where(Batch.tenant_id == principal.tenant_id)
            sites = sorted(s for s in session.scalars(sites_query) if s)
            batches = sorted(session.scalars(batches_query))
            tenants = (
                session.execute(select(Tenant.slug, Tenant.name).order_by(Tenant.name)).all()
                if principal.role == "coordinator"
                else []
            )
        params = {"q": wanted.q, **wanted.filters}
        if wanted.sort != "updated":
            params["sort"] = wanted.sort
        if wanted.sort != "updated" or not wanted.descending:
            params["dir"] = "desc" if wanted.descending else "asc"

        def sort_url(key: str) -> str:
            descending = not wanted.descending if wanted.sort == key else key == "updated"
            return _page_url(
                {k: v for k, v in params.items() if k not in {"sort", "dir"}},
                sort=key,
                dir="desc" if descending else "asc",
            )

        def page_url(number: int) -> str:
            return _page_url(params, page=number if number > 1 else "")

        first = max(1, result.page - 3)
        window = list(range(first, min(result.pages, first + 6) + 1))
        return render(
            request,
            "units.html",
            status=400 if wanted.refused else 200,
            principal=principal,
            result=result,
            wanted=wanted,
            q=wanted.q,
            filters=wanted.filters,
            sites=sites,
            batches=batches,
            tenants=tenants,
            sorts=SORTS,
            sort_url=sort_url,
            page_url=page_url,
            window=window,
            page_size=PAGE_SIZE,
            max_query=MAX_QUERY,
        )

    @app.get("/batches", include_in_schema=False)
    def batches_page(request: Request) -> Response:
        with _services(request).sessions() as session:
            page = _page_session(request, session)
            if page is None:
                return _login_redirect(request)
            principal = page.principal
            counts = (
                select(Unit.batch_id, func.count().label("n"))
                .where(Unit.batch_id.is_not(None))
                .group_by(Unit.batch_id)
                .subquery()
            )
            query = (
                select(Batch, Tenant.name, func.coalesce(counts.c.n, 0))
                .join(Tenant, Tenant.id == Batch.tenant_id)
                .outerjoin(counts, counts.c.batch_id == Batch.id)
            )
            if principal.role != "coordinator":
                query = query.where(Batch.tenant_id == principal.tenant_id)
            rows = session.execute(query.order_by(Batch.created_at.desc(), Batch.id.desc())).all()
            tenants = (
                session.execute(select(Tenant.slug, Tenant.name).order_by(Tenant.name)).all()
                if principal.role == "coordinator"
                else []
            )
        return render(request, "batches.html", principal=principal, rows=rows, tenants=tenants)

    @app.post("/batches", include_in_schema=False)
    def batch_create(
        request: Request,
        csrf: str = Form(""),
        code: str = Form(""),
        donor_name: str = Form(""),
        tenant: str = Form(""),
    ) -> Response:
        with _services(request).sessions() as session:
            page = _page_session(request, session)
        if page is None:
            return _login_redirect(request)
        if not check_csrf(page, csrf):
            return _csrf_refused(request)
        try:
            batch_id, clean_code, _token = create_batch(
                _services(request).sessions,
                page.principal,
                code=code[:200],
                donor_name=donor_name[:400],
                tenant_slug=tenant[:64] or None,
            )
        except ApiError as error:
            values = {"code": code[:64], "donor_name": donor_name[:200], "tenant": tenant[:64]}
            _flash(request, page, _error_flash(error, "create", typed=values))
            return RedirectResponse("/batches#new-batch", status_code=303)
        _flash(request, page, {"kind": "created", "code": clean_code})
        return RedirectResponse(f"/batches/{batch_id}", status_code=303)

    def _batch_for_page(session: Session, page: PageSession, batch_id: str) -> Batch | None:
        pk = parse_pk(batch_id)
        batch = session.get(Batch, pk) if pk is not None else None
        if batch is None or not page.principal.can_see_tenant(batch.tenant_id):
            return None
        return batch

    def _batch_form(
        request: Request, batch_id: str, csrf: str
    ) -> tuple[PageSession, int] | Response:
        """A form posted on a batch's page: the staff session, the batch it may act on
        and the form's CSRF token checked; else the answer to give instead."""
        with _services(request).sessions() as session:
            page = _page_session(request, session)
            if page is None:
                return _login_redirect(request)
            batch = _batch_for_page(session, page, batch_id)
            if batch is None:
                return render_not_found(request)
            pk = batch.id
        if not check_csrf(page, csrf):
            return _csrf_refused(request)
        return page, pk

    @app.get("/batches/{batch_id}", include_in_schema=False)
    def batch_page(request: Request, batch_id: str) -> Response:
        services = _services(request)
        with services.sessions() as session:
            page = _page_session(request, session)
            if page is None:
                return _login_redirect(request)
            batch = _batch_for_page(session, page, batch_id)
            if batch is None:
                return render_not_found(request)
            tenant_name = session.scalar(select(Tenant.name).where(Tenant.id == batch.tenant_id))
            units = session.scalar(
                select(func.count()).select_from(Unit).where(Unit.batch_id == batch.id)
            )
        donor_url = (
            f"{services.settings.link_base().rstrip('/')}/donor/{batch.donor_token}"
            if batch.donor_token
            else None
        )
        return render(
            request,
            "batch.html",
            principal=page.principal,
            batch=batch,
            tenant_name=tenant_name,
            units=units or 0,
            donor_url=donor_url,
            max_lines=MAX_SCANNED_LINES,
            search_url=_page_url({"batch": batch.code}),
        )

    @app.post("/batches/{batch_id}/assign", include_in_schema=False)
    def batch_assign(
        request: Request, batch_id: str, csrf: str = Form(""), tags: str = Form("")
    ) -> Response:
        checked = _batch_form(request, batch_id, csrf)
        if isinstance(checked, Response):
            return checked
        page, pk = checked
        target = f"/batches/{pk}#assign"
        try:
            if len(tags) > MAX_FORM_TEXT:
                raise too_many_lines()
            code, done = assign_units(
                _services(request).sessions, page.principal, pk, scanned_lines(tags)
            )
        except ApiError as error:
            _flash(request, page, _error_flash(error, "assign"))
            return RedirectResponse(target, status_code=303)
        _flash(
            request,
            page,
            {
                "kind": "assigned",
                "code": code,
                "assigned": done.assigned,
                "already_here": done.already_here,
                "in_other_batch": done.in_other_batch,
                "unknown": done.unknown,
                "ambiguous": done.ambiguous,
                "invalid": done.invalid,
            },
        )
        return RedirectResponse(target, status_code=303)

    @app.post("/batches/{batch_id}/donor-link", include_in_schema=False)
    def batch_reissue(
        request: Request, batch_id: str, csrf: str = Form(""), confirm: str = Form("")
    ) -> Response:
        checked = _batch_form(request, batch_id, csrf)
        if isinstance(checked, Response):
            return checked
        page, pk = checked
        if confirm != "yes":
            refusal = ApiError(
                422,
                "invalid_request",
                tr(
                    "Cochez la case pour confirmer : l'ancien lien cessera de fonctionner.",
                    "Tick the box to confirm: the old link will stop working.",
                ),
            )
            _flash(request, page, _error_flash(refusal, "reissue"))
            return RedirectResponse(f"/batches/{pk}#donor-link", status_code=303)
        reissue_donor_link(_services(request).sessions, page.principal, pk)
        _flash(request, page, {"kind": "reissued"})
        return RedirectResponse(f"/batches/{pk}#donor-link", status_code=303)

    @app.post("/units/{unit_id}/status", include_in_schema=False)
    def unit_status(
        request: Request,
        unit_id: str,
        csrf: str = Form(""),
        status: str = Form(""),
        reason: str = Form(""),
    ) -> Response:
        services = _services(request)
        with services.sessions() as session:
            page = _page_session(request, session)
            if page is None:
                return _login_redirect(request)
            pk = parse_pk(unit_id)
            unit = session.get(Unit, pk) if pk is not None else None
            if unit is None or not page.principal.can_see_tenant(unit.tenant_id):
                return render_not_found(request)
        if not check_csrf(page, csrf):
            return _csrf_refused(request)
        target = f"/units/{unit.id}#status-history"
        try:
            before, after = set_status(
                services.sessions, page.principal, unit.id, status[:64], reason[:2000]
            )
        except ApiError as error:
            _flash(request, page, _error_flash(error, "status", reason=reason[:500]))
            return RedirectResponse(target, status_code=303)
        _flash(request, page, {"kind": "status", "from": before, "to": after})
        return RedirectResponse(target, status_code=303)
