"""A local webhook receiver for the delivery benchmark: answers 204 and counts every webhook-id it sees.

GET /stats → {"received": n, "unique": m}; POST /stats/ids → the ids received (JSON list), for the
check that nothing delivered went missing; GET /stats/counts → {id: times received}, for the check that nothing
came twice. Signatures are not verified: the delivery tests do that.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

Message = dict[str, Any]


class Receiver:
    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        if scope["path"].startswith("/stats"):
            if scope["path"] == "/stats/ids":
                body = orjson.dumps(sorted(self.seen))
            elif scope["path"] == "/stats/counts":
                body = orjson.dumps(dict(self.seen))
            else:
                body = orjson.dumps({"received": sum(self.seen.values()), "unique": len(self.seen)})
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        headers = dict(scope["headers"])
        self.seen[headers.get(b"webhook-id", b"").decode()] += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


app = Receiver()
