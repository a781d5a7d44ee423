"""Where a notice goes besides the site. The site itself reads the notice table; a channel
registered here (the outbox of e-mail and SMS, docs/architecture.md "Notices") is called
with the notices `notify` just wrote, inside the same transaction, so a delivery row exists
exactly when its notice does and the call sites never change."""

from collections.abc import Callable, Sequence

Channel = Callable[[Sequence], None]
_channels: list[Channel] = []


def register(channel: Channel) -> Channel:
    if channel not in _channels:
        _channels.append(channel)
    return channel


def unregister(channel: Channel) -> None:
    if channel in _channels:
        _channels.remove(channel)


def deliver(notices: Sequence) -> None:
    for channel in list(_channels):
        channel(notices)
