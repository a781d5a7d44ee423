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
