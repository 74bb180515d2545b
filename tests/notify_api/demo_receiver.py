"""A webhook receiver for trying notify_api by hand: verifies Standard Webhooks signatures and prints each arrival.

    .venv/bin/python -m tests.notify_api.demo_receiver --port 9000 --path hooks/transport --secret whsec_…

Use the secret notify_api showed once when the webhook contact (or subscription) was created.
"""

from __future__ import annotations

import argparse
import json

import uvicorn

from tests.notify_api.receivers import Call, Receiver


def describe(call: Call) -> str:
    """One line per arrival: the webhook id, whether the signature verified, the type and the subject."""
    try:
        body = call.json()
    except ValueError:
        return f"{call.webhook_id} verified={call.verified} (not JSON: {call.body[:80]!r})"
    data = body.get("data", {}) if isinstance(body, dict) else {}
    return (
        f"{call.webhook_id} verified={call.verified} {body.get('type')} "
        f"{data.get('subject') or json.dumps(data, ensure_ascii=False)[:120]}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--path", default="hooks/demo", help="the path the contact's URL names (default hooks/demo)")
    parser.add_argument("--secret", required=True, help="the contact's whsec_ secret")
    args = parser.parse_args(argv)
    receiver = Receiver()
    receiver.endpoint(args.path, secret=args.secret)
    receiver.on_call = lambda call: print(describe(call), flush=True)
    print(f"receiving on http://127.0.0.1:{args.port}/{args.path.strip('/')}", flush=True)
    uvicorn.run(receiver.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
