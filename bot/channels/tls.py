"""One TLS context per process for every client the channels open (Telegram's, Twilio's).

Why: httpx builds a context for each client it makes and reads the CA bundle again each
time (about 20 ms here); a process opens a few clients, the test suite hundreds. Built by
httpx itself, so SSL_CERT_FILE and SSL_CERT_DIR still count.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
