"""The ASGI application: JSON API for benches and staff, pages for people.

``create_app(settings)`` builds one app (tests and ``serve`` use the same factory);
``app_from_env()`` is the uvicorn factory used with several workers.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import Engine, select, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from central_inventory import __version__
from central_inventory.auth import Principal, authenticate, bearer_from_header
from central_inventory.config import Settings
from central_inventory.db import (
    MAX_PK,
    Tenant,
    Unit,
    make_engine,
    make_sessionmaker,
)
from central_inventory.errors import ApiError
from central_inventory.evidence import certificate_row, report_row, unit_view, verify_certificates
from central_inventory.i18n import tr
from central_inventory.ingest import (
    MAX_REVISION,
    ingest_certificate,
    ingest_report,
    not_found,
    update_unit,
    valid_id,
)
from central_inventory.limits import BodySizeLimitMiddleware, RejectNulMiddleware
from central_inventory.logs import LOGGER, AccessLogMiddleware
from central_inventory.reference import CPU_TABLE, cpu_table_version, resolve, scan
from central_inventory.storage import (
    StorageHealth,
    classify,
    fault_message,
    install_fault_handling,
    unavailable,
)

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["payload", "signature"],
    "additionalProperties": False,
    "properties": {
        "payload": {"type": "object", "description": "UnitReport or erasure certificate"},
        "signature": {
            "type": "object",
            "required": ["alg", "key_id", "public_key", "value"],
            "properties": {
                "alg": {"const": "ed25519"},
                "key_id": {"type": "string"},
                "public_key": {"type": "string", "description": "base64 raw Ed25519 key"},
                "value": {
                    "type": "string",
                    "description": "base64 signature of the canonical JSON of payload",
                },
            },
        },
    },
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {
                    "type": "object",
                    "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
                },
                "detail": {},
            },
        }
    },
}


def _error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"content": {"application/json": {"schema": ERROR_SCHEMA}}, "description": "Error"}
        for status in statuses
    }


@dataclass
class Services:
    """What the routes share: settings, engine and session factory."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    health: StorageHealth
    _limiter: anyio.CapacityLimiter | None = None

    def ingest_limiter(self) -> anyio.CapacityLimiter:
        """Threads ingesting at once in this worker. Few: the work holds the GIL except
        while waiting for the database, and dozens of threads contending for it burnt
        more CPU than they saved (measured with benchmarks/bench_central.py)."""
        if self._limiter is None:  # created in the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.settings.ingest_threads)
        return self._limiter


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def db_session(request: Request) -> Iterator[Session]:
    with services(request).sessions() as session:
        yield session


def api_principal(
    session: Annotated[Session, Depends(db_session)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    return authenticate(session, bearer_from_header(authorization))


def json_error(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers())


def _tenant_filter(principal: Principal) -> Any:
    return Unit.tenant_id == principal.tenant_id if principal.role != "coordinator" else true()


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """Build the application on ``settings`` (the schema must already be migrated)."""
    if engine is None:
        engine = make_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
    app = FastAPI(
        title="central-inventory",
        version=__version__,
        description=(
            "Inventaire central du réseau LaCollecte.tech : preuves signées des bancs "
            "(rapports d'unité, certificats d'effacement). / Central inventory of the "
            "LaCollecte.tech network: signed evidence from benches."
        ),
        # The interactive docs pages load scripts from a CDN: publish the schema only.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    health = StorageHealth()
    install_fault_handling(engine, health)
    app.state.services = Services(
        settings=settings, engine=engine, sessions=make_sessionmaker(engine), health=health
    )

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return json_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        detail = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return json_error(
            ApiError(
                422,
                "invalid_request",
                tr("Paramètres de requête invalides.", "Invalid request parameters."),
                detail=detail,
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not request.url.path.startswith("/api/"):
            from central_inventory.web import render_not_found

            return render_not_found(request)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return json_error(
            ApiError(
                exc.status_code,
                code,
                tr("Ressource ou méthode inconnue.", "Unknown resource or method."),
                detail=str(exc.detail),
            )
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: Exception) -> Response:
        fault = classify(exc)
        if fault is None:
            return await _unexpected(request, exc)
        LOGGER.warning("storage fault", extra={"path": request.url.path, "error": str(exc)[:200]})
        return json_error(unavailable(fault))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        LOGGER.error("unexpected error", exc_info=exc, extra={"path": request.url.path})
        return json_error(
            ApiError(
                500,
                "internal_error",
                tr("Erreur interne ; elle a été journalisée.", "Internal error; it was logged."),
            )
        )

    _api_routes(app)
    from central_inventory.web import register_pages

    register_pages(app)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, limit_bytes=settings.max_body_bytes)
    app.add_middleware(RejectNulMiddleware)
    return app


def _api_routes(app: FastAPI) -> None:
    auth_errors = _error_responses(401, 403)

    @app.get("/healthz", tags=["operations"], responses=_error_responses(503))
    def healthz(request: Request) -> Response:
        """Liveness and storage: 503 with the reason (``read_only``, ``disk_full``,
        ``io_error``, ``unreachable``) when the database cannot take writes. A small write
        probe runs at most every few seconds; a fault met by a request shows at once."""
        svc = services(request)
        fault = svc.health.current(svc.engine)
        if fault is not None:
            error = unavailable(fault)
            return JSONResponse(
                {"status": "unavailable", "database": fault, "message": fault_message(fault)},
                status_code=503,
                headers=error.headers(),
            )
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    @app.post(
        "/api/v1/reports",
        tags=["evidence"],
        status_code=201,
        responses={
            200: {"description": "Already stored with the same content"},
            **_error_responses(400, 401, 403, 409, 413, 422),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ENVELOPE_SCHEMA}},
            }
        },
    )
    async def post_report(
        request: Request,
        batch: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        """Submit a signed UnitReport (idempotent on ``report_id``)."""
        body = await request.body()
        svc = services(request)
        return await anyio.to_thread.run_sync(
            _ingest_report, svc, request, body, batch, limiter=svc.ingest_limiter()
        )

    @app.post(
        "/api/v1/certificates",
        tags=["evidence"],
        status_code=201,
        responses={
            200: {"description": "Already stored with the same content"},
            **_error_responses(400, 401, 403, 409, 413, 422),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ENVELOPE_SCHEMA}},
            }
        },
    )
    async def post_certificate(request: Request) -> Response:
        """Submit a signed erasure certificate (idempotent on ``certificate_id``)."""
        body = await request.body()
        svc = services(request)
        return await anyio.to_thread.run_sync(
            _ingest_certificate, svc, request, body, limiter=svc.ingest_limiter()
        )

    @app.get("/api/v1/units", tags=["units"], responses=auth_errors)
    def list_units(
        principal: Annotated[Principal, Depends(api_principal)],
        session: Annotated[Session, Depends(db_session)],
        serial: Annotated[str | None, Query(max_length=200)] = None,
        id_esn: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """Units of the caller's tenant (all tenants for a coordinator)."""
        query = select(Unit).where(_tenant_filter(principal))
        if serial:
            query = query.where(Unit.serial == serial)
        if id_esn:
            query = query.where(Unit.id_esn == id_esn.upper())
        units = session.scalars(query.order_by(Unit.id).limit(limit)).all()
        return {"total": len(units), "data": [_unit_json(u) for u in units]}

    @app.get("/api/v1/units/{unit_id}", tags=["units"], responses=_error_responses(401, 403, 404))
    def get_unit(
        unit_id: Annotated[int, FastApiPath(ge=1, le=MAX_PK)],
        principal: Annotated[Principal, Depends(api_principal)],
        session: Annotated[Session, Depends(db_session)],
    ) -> dict[str, Any]:
        """One unit, its current report and every revision received (current first)."""
        view = unit_view(session, unit_id)
        if view is None or not principal.can_see_tenant(view.unit.tenant_id):
            raise not_found()
        data = _unit_json(view.unit)
        current = view.current
        data["current_report"] = (
            None
            if current is None
            else {"report_id": current.report_id, "revision": current.revision}
        )
        data["versions"] = [
            {
                "version": r.version,
                "report_id": r.report_id,
                "revision": r.revision,
                "current": r is current,
                "reported_at": r.reported_at,
                "received_at": r.received_at.isoformat(),
                "category": r.category,
            }
            for r in view.versions
        ]
        data["certificates"] = [
            {"certificate_id": c.certificate_id, "result": c.result, "outcome": c.outcome}
            for c in view.certificates
        ]
        data["pending_certificates"] = view.pending_certificate_ids
        data["disks"] = [
            {
                "serial": d.serial or None,
                "required": d.required,
                "erased": d.proof is not None,
                "certificate_id": d.proof.certificate_id if d.proof is not None else None,
                "certificates": [
                    {"certificate_id": c.certificate_id, "outcome": c.outcome}
                    for c in d.certificates
                ],
            }
            for d in view.disks
        ]
        data["unlinked_certificates"] = [
            {"certificate_id": c.certificate_id, "disk_serial": c.disk_serial}
            for c in view.unlinked
        ]
        return data

    @app.patch("/api/v1/units/{unit_id}", tags=["units"], responses=_error_responses(401, 403, 404))
    async def patch_unit(
        unit_id: Annotated[int, FastApiPath(ge=1, le=MAX_PK)], request: Request
    ) -> dict[str, Any]:
        """Staff: set ``status`` (tec.tech vocabulary) and/or donor ``batch`` code."""
        body = await request.body()

        def work() -> dict[str, Any]:
            svc = services(request)
            with svc.sessions() as session:
                principal = authenticate(
                    session, bearer_from_header(request.headers.get("authorization"))
                )
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                document = None
            if not isinstance(document, dict) or not set(document) <= {"status", "batch"}:
                raise ApiError(
                    400,
                    "malformed_json",
                    tr(
                        "Objet JSON attendu avec « status » et/ou « batch ».",
                        "Expected a JSON object with 'status' and/or 'batch'.",
                    ),
                )
            status, batch = document.get("status"), document.get("batch")
            if not isinstance(status, str | None) or not isinstance(batch, str | None):
                raise ApiError(
                    422, "invalid_request", tr("Chaînes attendues.", "Strings expected.")
                )
            return update_unit(svc.sessions, principal, unit_id, status, batch)

        return await run_in_threadpool(work)

    @app.get("/api/v1/reports/{report_id}", tags=["evidence"], responses=auth_errors)
    def get_report(
        report_id: str,
        principal: Annotated[Principal, Depends(api_principal)],
        session: Annotated[Session, Depends(db_session)],
        revision: Annotated[int | None, Query(ge=1, le=MAX_REVISION)] = None,
    ) -> Response:
        """The signed envelope exactly as it was received: the highest revision received,
        or the one named by ``revision``."""
        row = report_row(session, report_id, revision, principal.tenant_id)
        if row is None or not principal.can_see_tenant(row.tenant_id):
            raise not_found()
        return Response(
            row.envelope,
            media_type="application/json",
            headers={"X-Report-Revision": str(row.revision)},
        )

    @app.get("/api/v1/certificates/{certificate_id}", tags=["evidence"], responses=auth_errors)
    def get_certificate(
        certificate_id: str,
        principal: Annotated[Principal, Depends(api_principal)],
        session: Annotated[Session, Depends(db_session)],
    ) -> Response:
        """The signed certificate envelope exactly as it was received."""
        row = certificate_row(session, certificate_id, principal.tenant_id)
        if row is None or not principal.can_see_tenant(row.tenant_id):
            raise not_found()
        return Response(row.envelope, media_type="application/json")

    @app.get("/api/v1/verify/{certificate_id}", tags=["public"], responses=_error_responses(404))
    def verify_json(
        certificate_id: str, session: Annotated[Session, Depends(db_session)]
    ) -> dict[str, Any]:
        """Public: every certificate filed under this id (ids are each reconditioner's own:
        one per reconditioner that used it), each genuine or not, with what it proves and
        its reconditioner's name (no personal data)."""
        found = verify_certificates(session, certificate_id) if valid_id(certificate_id) else []
        if not found:
            raise not_found()
        matches = []
        for verification in found:
            item = verification.as_dict()
            item.pop("reason", None)
            matches.append(item)
        return {"certificate_id": certificate_id, "count": len(matches), "certificates": matches}

    @app.post("/api/v1/batches", tags=["batches"], status_code=201, responses=auth_errors)
    async def create_batch(request: Request) -> Response:
        """Staff: create a donor batch; the answer holds the donor's read-only link (once)."""
        body = await request.body()

        def work() -> Response:
            svc = services(request)
            with svc.sessions() as session:
                principal = authenticate(
                    session, bearer_from_header(request.headers.get("authorization"))
                )
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                document = None
            if not isinstance(document, dict):
                raise ApiError(
                    400, "malformed_json", tr("Objet JSON attendu.", "JSON object expected.")
                )
            result = create_batch_for(
                svc,
                principal,
                code=document.get("code"),
                donor_name=document.get("donor_name"),
                tenant_slug=document.get("tenant"),
                base_url=svc.settings.link_base(),
            )
            return JSONResponse(result, status_code=201)

        return await run_in_threadpool(work)

    @app.get("/api/v1/reference", tags=["reference"], responses=auth_errors)
    def reference_index(
        request: Request, _principal: Annotated[Principal, Depends(api_principal)]
    ) -> Response:
        """Grading profiles and CPU score table: the version hash and every file's hash."""
        found = scan(services(request).settings.resolved_profiles_dir())
        etag = f'"{found.version}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(
            {"version": found.version, "files": [vars(f) for f in found.files]},
            headers={"ETag": etag},
        )

    @app.get("/api/v1/trust", tags=["trust"], responses=_error_responses(401, 403, 503))
    def trust(
        request: Request,
        session: Annotated[Session, Depends(db_session)],
        principal: Annotated[Principal, Depends(api_principal)],
    ) -> Response:
        """The network public key and the calling bench's current signed key statement
        (what ``bench-agent verify`` needs to call this bench's certificates VALID)."""
        return JSONResponse(trust_for(services(request).settings, session, principal))

    @app.get("/api/v1/reference/cpu-table", tags=["reference"], responses=auth_errors)
    def reference_cpu_table(
        request: Request, _principal: Annotated[Principal, Depends(api_principal)]
    ) -> Response:
        """The current CPU score table (the network's ``cpus.csv``) byte for byte; its
        version (``sha256:...``) in the ETag and ``X-Cpu-Table-Version``."""
        found = resolve(services(request).settings.resolved_profiles_dir(), CPU_TABLE)
        if found is None:
            raise not_found()
        data = found.read_bytes()
        version = cpu_table_version(data)
        headers = {"ETag": f'"{version}"', "X-Cpu-Table-Version": version}
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        return Response(data, media_type="text/csv; charset=utf-8", headers=headers)

    @app.get("/api/v1/reference/files/{path:path}", tags=["reference"], responses=auth_errors)
    def reference_file(
        path: str, request: Request, _principal: Annotated[Principal, Depends(api_principal)]
    ) -> Response:
        """One reference file, byte for byte."""
        found = resolve(services(request).settings.resolved_profiles_dir(), path)
        if found is None:
            raise not_found()
        return FileResponse(found, media_type=_media_type(found))


def trust_for(settings: Settings, session: Session, principal: Principal) -> dict[str, Any]:
    from central_inventory.db import Bench
    from central_inventory.trust import (
        NetworkKeyError,
        load_network_key,
        statement_for,
        trust_document,
    )

    unavailable = ApiError(
        503,
        "no_network_key",
        tr(
            "Le service n'a pas de clé du réseau (central-inventory init-network-key).",
            "The service has no network key (central-inventory init-network-key).",
        ),
    )
    try:
        network = load_network_key(settings.network_key)
    except NetworkKeyError as exc:
        logging.getLogger("central_inventory").error("network key unreadable: %s", exc)
        raise unavailable from None
    if network is None:
        raise unavailable
    statement = None
    if principal.role == "bench" and principal.bench_pk is not None:
        bench = session.get(Bench, principal.bench_pk)
        tenant = session.get(Tenant, bench.tenant_id) if bench is not None else None
        if bench is not None and tenant is not None:
            statement = statement_for(network, bench, tenant)
    return trust_document(network, statement)


def _media_type(path: Path) -> str:
    return {
        ".toml": "application/toml",
        ".csv": "text/csv; charset=utf-8",
        ".json": "application/json",
        ".md": "text/markdown; charset=utf-8",
    }.get(path.suffix.lower(), "text/plain; charset=utf-8")


def _unit_json(unit: Unit) -> dict[str, Any]:
    return {
        "unit_id": unit.id,
        "unit_key": unit.unit_key,
        "serial": unit.serial,
        "id_esn": unit.id_esn,
        "maker": unit.maker,
        "model": unit.model,
        "site": unit.site,
        "category": unit.category,
        "status": unit.status,
        "erasure_state": unit.erasure_state,
        "latest_version": unit.latest_version,
        "first_seen_at": unit.first_seen_at.isoformat(),
        "last_report_at": unit.last_report_at.isoformat(),
    }


def _ingest_report(svc: Services, request: Request, body: bytes, batch: str | None) -> Response:
    token = bearer_from_header(request.headers.get("authorization"))
    principal, stored = ingest_report(svc.engine, token, body, batch)
    LOGGER.info(
        "report " + stored.status,
        extra={
            "report_id": stored.id,
            "tenant_id": principal.tenant_id,
            "bench": principal.bench_name,
        },
    )
    return JSONResponse(stored.body(), status_code=201 if stored.status == "stored" else 200)


def _ingest_certificate(svc: Services, request: Request, body: bytes) -> Response:
    token = bearer_from_header(request.headers.get("authorization"))
    principal, stored = ingest_certificate(svc.engine, token, body)
    LOGGER.info(
        "certificate " + stored.status,
        extra={
            "certificate_id": stored.id,
            "tenant_id": principal.tenant_id,
            "bench": principal.bench_name,
        },
    )
    return JSONResponse(stored.body(), status_code=201 if stored.status == "stored" else 200)


def create_batch_for(
    svc: Services,
    principal: Principal,
    *,
    code: object,
    donor_name: object,
    tenant_slug: object,
    base_url: str,
) -> dict[str, Any]:
    """Create a donor batch; returns the donor link (``central_inventory.staff``, which the
    batches page calls too)."""
    from central_inventory.staff import create_batch

    batch_id, clean_code, token = create_batch(
        svc.sessions, principal, code=code, donor_name=donor_name, tenant_slug=tenant_slug
    )
    return {
        "batch_id": batch_id,
        "code": clean_code,
        "donor_url": f"{base_url.rstrip('/')}/donor/{token}",
    }


def app_from_env() -> FastAPI:
    """uvicorn factory (``central_inventory.app:app_from_env``) for multi-worker serving."""
    settings = Settings.from_env()
    logging.getLogger("central_inventory").setLevel(settings.log_level)
    app = create_app(settings)
    # Everything loaded so far lives as long as the worker: keep it out of the cyclic
    # garbage collector's full passes, which otherwise show up as latency spikes.
    gc.freeze()
    return app
