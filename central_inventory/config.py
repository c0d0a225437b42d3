"""Configuration from environment variables (documented in docs/central.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from central_inventory.formatting import DEFAULT_TIMEZONE, zone

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
ENVIRONMENTS = ("development", "production")
DEFAULT_TOKEN_DAYS = {"bench": 365, "staff": 180, "coordinator": 90}
"""How long a new token stays valid, per role (CENTRAL_TOKEN_DAYS_BENCH, ...)."""


class ConfigError(ValueError):
    """An environment variable has a value the service cannot use."""


def default_data_dir(environ: Mapping[str, str]) -> Path:
    xdg = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "central-inventory"


def default_profiles_dir() -> Path:
    """The ``profiles/`` package data directory shipped in the wheel."""
    import profiles

    # ``profiles`` may be a namespace package (no __init__.py): take its first path.
    return Path(next(iter(profiles.__path__)))


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r}: must be at least {minimum}")
    return value


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str
    """SQLAlchemy URL: ``sqlite:///path`` (embedded default) or
    ``postgresql+psycopg://user:pass@host/db`` (production)."""
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    public_url: str | None = None
    """Base URL printed in donor links and label QR codes (e.g. https://inventaire.example.org)."""
    profiles_dir: Path | None = None
    """Reference data served to benches; None: the ``profiles`` package data directory."""
    log_level: str = "INFO"
    db_pool_size: int = 5
    db_max_overflow: int = 10
    ingest_threads: int = 8
    """Reports and certificates processed at once per worker (the rest wait their turn)."""
    cookie_secure: bool = False
    """Mark the staff session cookie Secure (set it when served over HTTPS)."""
    environment: str = "development"
    """``production`` refuses to start without ``public_url`` (links must never come from
    a request's Host header)."""
    token_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TOKEN_DAYS))
    timezone: str = DEFAULT_TIMEZONE
    """The time zone every page shows dates in (and names): ``CENTRAL_TIMEZONE``."""

    def __post_init__(self) -> None:
        try:
            zone(self.timezone)
        except ValueError:
            raise ConfigError(
                f"CENTRAL_TIMEZONE={self.timezone!r}: expected a time zone name such as "
                "Europe/Paris"
            ) from None
        if self.environment not in ENVIRONMENTS:
            raise ConfigError(
                f"CENTRAL_ENV={self.environment!r}: expected development or production"
            )
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ConfigError(
                    f"CENTRAL_PUBLIC_URL={self.public_url!r}: expected an http:// or "
                    "https:// URL such as https://inventaire.example.org"
                )
            if self.environment == "production" and parts.scheme != "https":
                raise ConfigError(
                    f"CENTRAL_PUBLIC_URL={self.public_url!r}: production links must use https://"
                )
        elif self.environment == "production":
            raise ConfigError(
                "CENTRAL_ENV=production needs CENTRAL_PUBLIC_URL (e.g. "
                "https://inventaire.example.org): donor links and QR codes are built from it, "
                "never from the request's Host header"
            )

    def link_base(self) -> str:
        """The base of every link the service hands out (donor links, verification URLs):
        the public URL, else (development only) the configured host and port."""
        if self.public_url is not None:
            return self.public_url
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    network_key: Path | None = None
    """The network's Ed25519 key (PEM, 0600) that signs key statements for the benches
    (``central-inventory init-network-key`` creates it)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        url = env.get("CENTRAL_DATABASE_URL", "").strip()
        if not url:
            data_dir = Path(env.get("CENTRAL_DATA_DIR", "") or default_data_dir(env))
            url = f"sqlite:///{data_dir / 'central-inventory.db'}"
        if not (url.startswith("sqlite") or url.startswith("postgresql")):
            raise ConfigError(
                f"CENTRAL_DATABASE_URL={url.split('://')[0]}://...: "
                "only sqlite:/// and postgresql+psycopg:// URLs are supported"
            )
        level = env.get("CENTRAL_LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(
                f"CENTRAL_LOG_LEVEL={level!r}: expected DEBUG, INFO, WARNING or ERROR"
            )
        profiles = env.get("CENTRAL_PROFILES_DIR", "").strip()
        environment = env.get("CENTRAL_ENV", "").strip().lower() or "development"
        token_days = {
            role: _int(env, f"CENTRAL_TOKEN_DAYS_{role.upper()}", days, 1)
            for role, days in DEFAULT_TOKEN_DAYS.items()
        }
        network_key = env.get("CENTRAL_NETWORK_KEY", "").strip()
        if not network_key:
            data_dir = Path(env.get("CENTRAL_DATA_DIR", "") or default_data_dir(env))
            network_key = str(data_dir / "network-key.pem")
        return cls(
            database_url=url,
            host=env.get("CENTRAL_HOST", "127.0.0.1").strip() or "127.0.0.1",
            port=_int(env, "CENTRAL_PORT", 8080, 0),
            workers=_int(env, "CENTRAL_WORKERS", 1, 1),
            max_body_bytes=_int(env, "CENTRAL_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024),
            public_url=(env.get("CENTRAL_PUBLIC_URL", "").strip().rstrip("/") or None),
            profiles_dir=Path(profiles) if profiles else None,
            log_level=level,
            db_pool_size=_int(env, "CENTRAL_DB_POOL_SIZE", 5, 1),
            db_max_overflow=_int(env, "CENTRAL_DB_MAX_OVERFLOW", 10, 0),
            ingest_threads=_int(env, "CENTRAL_INGEST_THREADS", 8, 1),
            cookie_secure=env.get("CENTRAL_COOKIE_SECURE", "").lower() in {"1", "true", "yes"},
            environment=environment,
            token_days=token_days,
            network_key=Path(network_key),
            timezone=env.get("CENTRAL_TIMEZONE", "").strip() or DEFAULT_TIMEZONE,
        )

    def resolved_profiles_dir(self) -> Path:
        return self.profiles_dir if self.profiles_dir is not None else default_profiles_dir()
