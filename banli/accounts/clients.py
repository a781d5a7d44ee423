"""The address a request comes from, as far as banli can trust it."""

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address for lockouts and security events.

    Without proxies (BANLI_TRUSTED_PROXIES=0) that is the connection's address: a header sent
    by the client proves nothing. Behind N trusted reverse proxies, each appending the
    address it saw to X-Forwarded-For, the client is the N-th entry from the right; anything
    further left was written by the client and is ignored (docs/authentication.md)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.BANLI_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than configured: the request did not come through the proxies.
        return remote
    return forwarded[-proxies]
