"""The one error shape of the API: ``{"error": {"code", "message": {"fr", "en"}, "detail"}}``."""

from __future__ import annotations

from typing import Any

from central_inventory.i18n import Message


class ApiError(Exception):
    """A request the service refuses, with its HTTP status and a bilingual message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: Message,
        detail: Any = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message['en']}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.retry_after = retry_after
        """Seconds the client should wait before trying again (a ``Retry-After`` header)."""

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        return {"error": error}
