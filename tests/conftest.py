import pytest


@pytest.fixture
def world(db):
    from .factories import World

    return World()


@pytest.fixture
def cppcc(db):
    from banli.bodies.models import BodyType

    from .factories import World

    return World(body_type=BodyType.CPPCC)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read the English source strings; the site's default language is Chinese, whose
    catalogue test_i18n.py checks (and a test may activate zh-hans itself)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """A World makes a dozen accounts; the production hasher would spend seconds on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_world(db):
    """A second congress: its people must never reach the first one's records."""
    from .factories import World

    return World()


def _write_mo(path, messages: dict[str, str]) -> None:
    """A GNU .mo catalog, as `compilemessages` writes it."""
    import array
    import struct

    entries = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(entries)
    ids = strs = b""
    offsets = []
    for key in keys:
        k, v = key.encode(), entries[key].encode()
        offsets.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\0"
        strs += v + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    table = []
    for key_off, key_len, _, _ in offsets:
        table += [key_len, key_off + key_start]
    for _, _, value_off, value_len in offsets:
        table += [value_len, value_off + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + array.array("i", table).tobytes() + ids + strs)


@pytest.fixture
def zh_catalog(settings, tmp_path):
    """Install a Chinese catalog with the given translations; use with
    `translation.override("zh-hans")` to see what a Chinese user is shown."""

    def install(messages: dict[str, str]) -> None:
        _write_mo(tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.mo", messages)
        settings.LOCALE_PATHS = [tmp_path]

    return install
