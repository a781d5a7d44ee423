"""Use cases of a body's configuration: who holds which roles (memberships), the body's
handling rules, its units and members, and the accounts behind them.

The admin and any later page or import call these, never `save()` on the models: each
function checks the actor's permission, validates the object as a whole (`full_clean`), saves
it in one transaction with the row locked, and writes one history entry whose data holds the
fields that changed, `{"before": {...}, "after": {...}}`. The body is the case file (`root`)
of its rules, units, members and memberships; an account is its own.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from banli.core.actors import as_actor, user_of
from banli.core.errors import NotAllowed, ValidationFailed
from banli.core.history import record

from .models import Body, BodyRules, Member, Membership, Role, Unit

MEMBERSHIP_FIELDS = ("roles", "unit", "member", "phone", "active")
RULES_FIELDS = tuple(
    f.name for f in BodyRules._meta.concrete_fields if f.name not in ("id", "body")
)
UNIT_FIELDS = ("name", "parent", "contact_name", "contact_phone", "active")
MEMBER_FIELDS = (
    "member_type",
    "name",
    "delegation",
    "party",
    "sector",
    "employer",
    "phone",
    "active",
)
# What an account's history keeps: never the password hash.
ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
)
ACCOUNT_RELATIONS = ("groups", "user_permissions")


class InvalidSettings(ValidationFailed):
    """The configuration breaks a rule; `errors` maps each field to its messages, so a form
    can show them next to the field."""

    def __init__(self, error: ValidationError):
        if hasattr(error, "error_dict"):
            self.errors = {field: list(msgs) for field, msgs in error.message_dict.items()}
        else:
            self.errors = {NON_FIELD_ERRORS: list(error.messages)}
        super().__init__(" ".join(m for msgs in self.errors.values() for m in msgs))


def _check(by, permission: str) -> None:
    """Configuration is the administrators' (Django's model permissions); the system may
    bootstrap a body (the demo, a future import)."""
    if as_actor(by).is_system:
        return
    user = user_of(by)
    if user is None or not user.has_perm(permission):
        raise NotAllowed()


def _validate(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as error:
        raise InvalidSettings(error) from None


def _value(obj: models.Model, name: str) -> Any:
    """A field as the history keeps it: a related object by its key, a list as a list."""
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return sorted(_m2m_label(o) for o in getattr(obj, name).all())
    return field.value_from_object(obj)


def _m2m_label(o) -> str:
    # Permissions as "app.codename", groups by name: readable and stable.
    if hasattr(o, "codename"):
        return f"{o.content_type.app_label}.{o.codename}"
    return str(o)


def _snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _value(obj, name) for name in fields}


def _set(obj: models.Model, values: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on {type(obj).__name__}")
    for name, value in values.items():
        setattr(obj, name, value)


def _difference(before: dict, after: dict) -> dict[str, dict[str, Any]]:
    changed = [name for name in after if before.get(name) != after[name]]
    return {
        "before": {name: before.get(name) for name in changed},
        "after": {name: after[name] for name in changed},
    }


def _save_tracked(
    obj: models.Model,
    values: dict[str, Any],
    *,
    by,
    fields: tuple[str, ...],
    action: str,
    root,
    check=None,
):
    """Create `obj` (unsaved) or change the stored row it stands for, and record what changed.

    For a change the row is locked and re-read, the values are applied to the fresh copy and
    only the changed columns are written, so a stale copy cannot write old values back."""
    if obj.pk is None:
        _set(obj, values, fields)
        if check:
            check(obj)
        _validate(obj)
        obj.save()
        record(
            obj, f"{action}.create", by=by, root=root, data=_difference({}, _snapshot(obj, fields))
        )
        return obj
    current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    before = _snapshot(current, fields)
    _set(current, values, fields)
    if check:
        check(current)
    _validate(current)
    change = _difference(before, _snapshot(current, fields))
    if change["after"]:
        current.save(update_fields=list(change["after"]))
        record(current, f"{action}.change", by=by, root=root, data=change)
    return current


def _roles(roles: Iterable[str]) -> list[str]:
    """In the order of the role list, once each; unknown codes are kept for clean() to name."""
    given = [str(r) for r in roles]
    return [r for r in Role.values if r in given] + [r for r in given if r not in Role.values]


def save_membership(membership: Membership, *, by, **values) -> Membership:
    """Create a membership (an unsaved `Membership(user=..., body=...)`) or change its roles,
    unit, member, phone or `active`. A membership is ended with `active=False`, never deleted,
    so what its holder did stays attributable."""
    if "roles" in values:
        values["roles"] = _roles(values["roles"])
    _check(by, "bodies.change_membership" if membership.pk else "bodies.add_membership")
    with transaction.atomic():
        if membership.pk is None:
            # One membership per user and body: the user's row serialises two grants.
            get_user_model()._default_manager.select_for_update().filter(
                pk=membership.user_id
            ).first()
            membership.roles = _roles(membership.roles)
        return _save_tracked(
            membership,
            values,
            by=by,
            fields=MEMBERSHIP_FIELDS,
            action="membership",
            root=membership.body,
        )


def grant_membership(
    user,
    body: Body,
    *,
    by,
    roles: Iterable[str],
    unit: Unit | None = None,
    member: Member | None = None,
    phone: str = "",
    active: bool = True,
) -> Membership:
    """Give `user` a place in `body` with these roles (任职)."""
    return save_membership(
        Membership(user=user, body=body),
        by=by,
        roles=roles,
        unit=unit,
        member=member,
        phone=phone,
        active=active,
    )


def change_membership(membership: Membership, *, by, **values) -> Membership:
    """Change the roles, unit, member, phone or `active` of a stored membership."""
    return save_membership(membership, by=by, **values)


def change_rules(body: Body, *, by, **values) -> BodyRules:
    """Change a body's handling rules (办理规则). A body without saved rules works with the
    defaults, which are what the history shows as the values before."""
    _check(by, "bodies.change_bodyrules")
    with transaction.atomic():
        # The body's row serialises the first save of its rules.
        Body.objects.select_for_update().filter(pk=body.pk).first()
        rules = BodyRules.objects.select_for_update().filter(body=body).first()
        if rules is not None:
            return _save_tracked(
                rules, values, by=by, fields=RULES_FIELDS, action="rules", root=body
            )
        rules = BodyRules(body=body)
        before = _snapshot(rules, RULES_FIELDS)
        _set(rules, values, RULES_FIELDS)
        _validate(rules)
        rules.save()
        record(
            rules,
            "rules.change",
            by=by,
            root=body,
            data=_difference(before, _snapshot(rules, RULES_FIELDS)),
        )
        return rules


def _unit_in_its_body(unit: Unit) -> None:
    if unit.parent_id is None:
        return
    parent: Unit | None = unit.parent
    if parent is not None and parent.body_id != unit.body_id:
        raise InvalidSettings(
            ValidationError({"parent": _("The parent unit belongs to another body.")})
        )
    seen = set()
    while parent is not None and parent.pk not in seen:
        if unit.pk is not None and parent.pk == unit.pk:
            raise InvalidSettings(
                ValidationError({"parent": _("A unit cannot be placed under itself.")})
            )
        seen.add(parent.pk)
        parent = parent.parent


def save_unit(unit: Unit, *, by, **values) -> Unit:
    """Create a handling unit (an unsaved `Unit(body=...)`) or change one. A unit is closed
    with `active=False`, never deleted: its assignments keep naming it."""
    _check(by, "bodies.change_unit" if unit.pk else "bodies.add_unit")
    with transaction.atomic():
        return _save_tracked(
            unit,
            values,
            by=by,
            fields=UNIT_FIELDS,
            action="unit",
            root=unit.body,
            check=_unit_in_its_body,
        )


def save_member(member: Member, *, by, **values) -> Member:
    """Create a deputy, member or proposing group (an unsaved `Member(body=...)`) or change
    one; `active=False` for one who left."""
    _check(by, "bodies.change_member" if member.pk else "bodies.add_member")
    with transaction.atomic():
        return _save_tracked(
            member, values, by=by, fields=MEMBER_FIELDS, action="member", root=member.body
        )


def save_account(user, *, by, groups=None, user_permissions=None, **values):
    """Create an account (an unsaved user, its password already set) or change its name,
    e-mail, `is_active`, `is_staff`, `is_superuser`, groups and permissions. An account is
    closed with `is_active=False`, never deleted: its history keeps naming it."""
    User = get_user_model()
    _check(by, "auth.change_user" if user.pk else "auth.add_user")
    relations = {
        name: value
        for name, value in (("groups", groups), ("user_permissions", user_permissions))
        if value is not None
    }
    tracked = ACCOUNT_FIELDS + ACCOUNT_RELATIONS
    with transaction.atomic():
        if user.pk is None:
            _set(user, values, ACCOUNT_FIELDS)
            if not user.password:
                user.set_unusable_password()
            _validate(user)
            user.save()
            for name, value in relations.items():
                getattr(user, name).set(value)
            record(user, "account.create", by=by, data=_difference({}, _snapshot(user, tracked)))
            return user
        current = User._default_manager.select_for_update().get(pk=user.pk)
        before = _snapshot(current, tracked)
        _set(current, values, ACCOUNT_FIELDS)
        _validate(current)
        columns = [n for n in values if before[n] != _value(current, n)]
        if columns:
            current.save(update_fields=columns)
        for name, value in relations.items():
            getattr(current, name).set(value)
        change = _difference(before, _snapshot(current, tracked))
        if change["after"]:
            record(current, "account.change", by=by, data=change)
        return current
