"""Request body size limit, enforced before the application reads the body."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_inventory.errors import ApiError
from central_inventory.i18n import tr


class BodyTooLargeError(ValueError):
    """The client sent more bytes than the configured limit."""


def too_large(limit_bytes: int) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        tr(
            f"Corps de requête trop volumineux (limite : {limit_bytes} octets).",
            f"Request body too large (limit: {limit_bytes} bytes).",
        ),
        detail={"limit_bytes": limit_bytes},
    )


class BodySizeLimitMiddleware:
    """Answers 413 (JSON) when Content-Length, or the streamed body, exceeds the limit."""

    def __init__(self, app: ASGIApp, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def _reject(self, send: Send) -> None:
        body = json.dumps(too_large(self.limit_bytes).body(), ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit_bytes:
                    await self._reject(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit_bytes:
                    raise BodyTooLargeError(f"body exceeded {self.limit_bytes} bytes")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._reject(send)


class RejectNulMiddleware:
    """Answers 400 (JSON) when the path or query string holds a NUL character: no database
    stores it (PostgreSQL refuses it in text), so it can only be an attack or garbage."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            if "\x00" in str(scope.get("path", "")) or b"\x00" in query:
                error = ApiError(
                    400,
                    "invalid_characters",
                    tr(
                        "Caractère nul interdit dans l'adresse.",
                        "NUL character not allowed in the address.",
                    ),
                )
                body = json.dumps(error.body(), ensure_ascii=False).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
