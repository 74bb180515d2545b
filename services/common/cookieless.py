"""The HTTP client our services call out with (peers, a notice's recipients, an OIDC issuer): httpx's, keeping no
cookies.

What we call is an API, not a browser session: no peer or recipient needs a cookie back, and a jar that kept one
would send it on with every later call of that client (a delivery client serves every recipient of a run). httpx
also reads every answer for cookies by making a urllib request of its URL, which urllib.parse keeps in a
process-wide cache of its last 128 URLs: after a large batch the URLs of its last pages (each with its cursor)
stayed alive, scattered over the memory the batch had used: 626 of the 789 objects still alive after plan 1's
roll-up (`python -m bench.memory_held --plans 1 --warm --survivors`). The 178 left still pin as many of CPython's
arenas: the resident set after it did not move (README, thirtieth session).
"""

from __future__ import annotations

import httpx


class CookielessClient(httpx.AsyncClient):
    """An httpx.AsyncClient whose cookie jar stays empty: answers' Set-Cookie headers are not read, and no Cookie
    header is ever sent."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()  # a new empty jar each time: whatever is put in one is gone with it

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("a cookieless client keeps no cookies")


class _NoCookies(httpx.Cookies):
    """A jar that takes nothing from an answer."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None
