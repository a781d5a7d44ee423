"""The optional virus scanner: ClamAV's daemon (clamd), asked over its INSTREAM protocol.

The protocol is small enough to speak here rather than depend on a client library: send
"zINSTREAM\\0", then the file in chunks each prefixed by its length (4 bytes, big-endian),
then a zero length; clamd answers "stream: OK", "stream: <signature> FOUND" or "… ERROR".
"""

import socket
import struct

from django.conf import settings

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd is configured but did not answer, or answered with an error."""


def configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _connect() -> socket.socket:
    timeout = settings.CLAMD_TIMEOUT
    if settings.CLAMD_SOCKET:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.settimeout(timeout)
        try:
            unix.connect(settings.CLAMD_SOCKET)
        except BaseException:
            unix.close()
            raise
        return unix
    return socket.create_connection((settings.CLAMD_HOST, settings.CLAMD_PORT), timeout=timeout)


def scan(stream) -> str | None:
    """The name of the signature clamd found in the stream's bytes, or None when it is clean.

    Raises ScannerUnavailable when clamd cannot be reached or does not give a verdict."""
    try:
        with _connect() as connection:
            connection.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK):
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                received = connection.recv(4096)
                if not received:
                    break
                reply += received
    except OSError as failed:  # refused, timed out, reset (clamd closes past StreamMaxLength)
        raise ScannerUnavailable(str(failed)) from failed
    verdict = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if verdict.endswith(" FOUND"):
        return verdict.removeprefix("stream:").removesuffix(" FOUND").strip()
    if verdict.endswith("OK"):
        return None
    raise ScannerUnavailable(verdict or "no answer")
