"""The address a request comes from, as far as banli can trust it."""

from banli.core.security import client_ip


def client_address(request) -> str | None:
    """The client's IP address for lockouts and security events: one rule for both
    (`core.security.client_ip`). Without a proxy that is the connection's address, a header
    sent by the client proving nothing; behind trusted proxies (BANLI_BEHIND_PROXY=1,
    BANLI_PROXY_HOPS=N) the entry the nearest trusted proxy appended to X-Forwarded-For."""
    return client_ip(request)
