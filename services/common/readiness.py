"""Readiness: the service can serve when its database answers and is at the migration head.

A service starts without its database rather than crash (a crash loop helps no one): it answers 503 until the
database is there. The log says so once, at start or when readiness changes, not on every probe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from services.common.db import Database
from services.common.migrations import current_revision, head_revision

logger = logging.getLogger("duban.readiness")


@dataclass(frozen=True)
class NotReady:
    """Why the service cannot serve, for the caller, and when to ask again."""

    detail: str
    retry_after_seconds: int


class ReadinessCheck:
    """Checks the service's database and logs each change of its state."""

    def __init__(self, service: str, database: Database) -> None:
        self.service = service
        self.database = database
        self._where = make_url(str(database.engine.url)).render_as_string(hide_password=True)
        self._last_state: str | None = None

    async def check(self) -> tuple[str | None, NotReady | None]:
        """(the database's migration, None) when ready, else (None, why not)."""
        head = head_revision(self.service)
        try:
            async with self.database.engine.connect() as conn:
                current = await current_revision(conn, self.service)
        except Exception as exc:
            cause = getattr(exc, "orig", None) or exc  # the driver's own words, without SQLAlchemy's wrapping
            reason = (str(cause).splitlines() or [""])[0]
            self._log(
                logging.ERROR,
                "unreachable",
                f"{self.service}: the database at {self._where} is not reachable "
                f"({type(cause).__name__}: {reason}); answering 503 until it is",
            )
            return None, NotReady("The database is not reachable.", 5)
        if current != head:
            self._log(
                logging.ERROR,
                "behind",
                f"{self.service}: the database at {self._where} is at migration {current}, "
                f"the code expects {head}; run `duban migrate {self.service}`",
            )
            return None, NotReady(f"The database is at migration {current}, the code expects {head}.", 30)
        self._log(
            logging.INFO,
            "ready",
            f"{self.service}: the database at {self._where} is reachable and at migration {current}; ready",
        )
        return current, None

    def _log(self, level: int, state: str, message: str) -> None:
        if state != self._last_state:  # probes come every few seconds: say each change once
            self._last_state = state
            logger.log(level, message)
