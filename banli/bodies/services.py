"""Use cases of a body's configuration: who holds which roles (memberships), the body's
handling rules, its units and members, and the accounts behind them.

The admin, the body administration pages and any later import call these, never `save()`
on the models: each function checks the actor's permission, validates the object as a whole
(`full_clean`), saves it in one transaction with the row locked, and writes one history entry
whose data holds the fields that changed, `{"before": {...}, "after": {...}}`. The body is the
case file (`root`) of its rules, categories, units, members and memberships; an account is
its own.

Who may change a body's configuration (docs/domain.md, roles): the body's own administrator
(机关管理员, the `body_admin` role of a membership in THAT body), for that body's records only;
and an account with Django's model permissions (the platform's superuser in the admin). A body
administrator never opens the admin site's doors: they cannot make an account staff or
superuser, change its groups or permissions, nor touch an account that also belongs to a body
they do not administer.
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

from .access import membership_in
from .models import Body, BodyRules, Category, Member, Membership, Role, Unit

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
# What a body's administrator may change on an account of their body: how it is named and
# reached. Whether it may log in to the admin site, and with which permissions, is the
# platform's.
BODY_ACCOUNT_FIELDS = ("first_name", "last_name", "email")
CATEGORY_FIELDS = ("name", "order")


class InvalidSettings(ValidationFailed):
    """The configuration breaks a rule; `errors` maps each field to its messages, so a form
    can show them next to the field."""

    def __init__(self, error: ValidationError):
        if hasattr(error, "error_dict"):
            self.errors = {field: list(msgs) for field, msgs in error.message_dict.items()}
        else:
            self.errors = {NON_FIELD_ERRORS: list(error.messages)}
        super().__init__(" ".join(m for msgs in self.errors.values() for m in msgs))


def administers(user, body: Body | int | None) -> bool:
    """Whether `user` is the administrator of `body` (holds `body_admin` in its membership)."""
    membership = membership_in(user, body)
    return membership is not None and Role.BODY_ADMIN in membership.roles


def _authorize(by, permission: str, body: Body | int | None = None) -> bool:
    """Let `by` change a record of `body`, or refuse with NotAllowed.

    The system may bootstrap a body (the demo, a future import); an account with Django's
    model `permission` may change any body (the platform's superuser, in the admin); a body's
    administrator changes their own body. Returns whether the right came from the body
    administrator's role alone (which some use cases narrow further)."""
    if as_actor(by).is_system:
        return False
    user = user_of(by)
    if user is not None and user.has_perm(permission):
        return False
    if user is not None and body is not None and administers(user, body):
        return True
    raise NotAllowed()


def manages_account(by, account) -> bool:
    """Whether `by`, as a body's administrator, looks after `account`: every body the account
    belongs to (its memberships, active or not) is one `by` administers, and the account
    cannot reach the admin site. An account shared with another body, or a platform account,
    is the platform's to change and to reset."""
    user = user_of(by)
    if user is None or account.pk is None or account.is_superuser or account.is_staff:
        return False
    bodies = set(Membership.objects.filter(user=account).values_list("body_id", flat=True))
    return bool(bodies) and all(administers(user, body) for body in bodies)


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
    permission: str,
    check=None,
):
    """Create `obj` (unsaved) or change the stored row it stands for, and record what changed
    in the case file of its body.

    For a change the row is locked and re-read, the permission is decided on the body of that
    fresh copy, the values are applied to it and only the changed columns are written: a stale
    or tampered copy can neither write old values back nor move the decision to another body.
    `check(obj, by_body_admin)` adds the use case's own refusals."""
    if obj.pk is None:
        by_body_admin = _authorize(by, permission, getattr(obj, "body_id", None))
        _set(obj, values, fields)
        if check:
            check(obj, by_body_admin)
        _validate(obj)
        obj.save()
        record(
            obj,
            f"{action}.create",
            by=by,
            root=obj.body,  # type: ignore[attr-defined]
            data=_difference({}, _snapshot(obj, fields)),
        )
        return obj
    current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    by_body_admin = _authorize(by, permission, current.body_id)
    before = _snapshot(current, fields)
    _set(current, values, fields)
    if check:
        check(current, by_body_admin)
    _validate(current)
    change = _difference(before, _snapshot(current, fields))
    if change["after"]:
        current.save(update_fields=list(change["after"]))
        record(current, f"{action}.change", by=by, root=current.body, data=change)
    return current


def _roles(roles: Iterable[str]) -> list[str]:
    """In the order of the role list, once each; unknown codes are kept for clean() to name."""
    given = [str(r) for r in roles]
    return [r for r in Role.values if r in given] + [r for r in given if r not in Role.values]


def _keeps_own_administration(by):
    """A body's administrator cannot end their own administration (drop the role or end the
    membership): another administrator or the platform does, so a body is never left with
    nobody to manage it by a slip of one's own hand."""

    def check(membership: Membership, by_body_admin: bool) -> None:
        if (
            by_body_admin
            and membership.user_id == getattr(user_of(by), "pk", None)
            and (Role.BODY_ADMIN not in membership.roles or not membership.active)
        ):
            raise NotAllowed(
                _("Another administrator must end your own administration of this body.")
            )

    return check


def _lock_user(user_id) -> None:
    # One membership per user and body: the user's row serialises two grants.
    get_user_model()._default_manager.select_for_update().filter(pk=user_id).first()


def save_membership(membership: Membership, *, by, **values) -> Membership:
    """Create a membership (an unsaved `Membership(user=..., body=...)`) or change its roles,
    unit, member, phone or `active`. A membership is ended with `active=False`, never deleted,
    so what its holder did stays attributable."""
    if "roles" in values:
        values["roles"] = _roles(values["roles"])
    with transaction.atomic():
        if membership.pk is None:
            _lock_user(membership.user_id)
            membership.roles = _roles(membership.roles)
        return _save_tracked(
            membership,
            values,
            by=by,
            fields=MEMBERSHIP_FIELDS,
            action="membership",
            permission="bodies.change_membership" if membership.pk else "bodies.add_membership",
            check=_keeps_own_administration(by),
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
    _authorize(by, "bodies.change_bodyrules", body)
    with transaction.atomic():
        # The body's row serialises the first save of its rules.
        Body.objects.select_for_update().filter(pk=body.pk).first()
        rules = BodyRules.objects.select_for_update().filter(body=body).first()
        if rules is not None:
            return _save_tracked(
                rules,
                values,
                by=by,
                fields=RULES_FIELDS,
                action="rules",
                permission="bodies.change_bodyrules",
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


def _unit_in_its_body(unit: Unit, by_body_admin: bool = False) -> None:
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
    with transaction.atomic():
        return _save_tracked(
            unit,
            values,
            by=by,
            fields=UNIT_FIELDS,
            action="unit",
            permission="bodies.change_unit" if unit.pk else "bodies.add_unit",
            check=_unit_in_its_body,
        )


def save_member(member: Member, *, by, **values) -> Member:
    """Create a deputy, member or proposing group (an unsaved `Member(body=...)`) or change
    one; `active=False` for one who left."""
    with transaction.atomic():
        return _save_tracked(
            member,
            values,
            by=by,
            fields=MEMBER_FIELDS,
            action="member",
            permission="bodies.change_member" if member.pk else "bodies.add_member",
        )


def save_category(category: Category, *, by, **values) -> Category:
    """Create a category of items (an unsaved `Category(body=...)`, placed last unless an
    `order` is given) or rename one. Categories are not deleted: items keep naming theirs."""
    with transaction.atomic():
        if category.pk is None and "order" not in values:
            last = Category.objects.filter(body_id=category.body_id).aggregate(
                last=models.Max("order")
            )["last"]
            values["order"] = 0 if last is None else last + 1
        return _save_tracked(
            category,
            values,
            by=by,
            fields=CATEGORY_FIELDS,
            action="category",
            permission="bodies.change_category" if category.pk else "bodies.add_category",
        )


def reorder_categories(body: Body, categories: Iterable[Category], *, by) -> list[Category]:
    """Put the body's categories in this order (the order forms and statistics list them
    in); one history entry on the body with the names before and after."""
    _authorize(by, "bodies.change_category", body)
    wanted = [c.pk for c in categories]
    with transaction.atomic():
        current = list(Category.objects.select_for_update().filter(body=body))
        if sorted(wanted) != sorted(c.pk for c in current):
            raise ValidationFailed(_("The categories have changed meanwhile; please try again."))
        before = [c.name for c in current]  # the model's ordering: by order, then id
        by_pk = {c.pk: c for c in current}
        ordered = [by_pk[pk] for pk in wanted]
        for position, category in enumerate(ordered):
            if category.order != position:
                category.order = position
                category.save(update_fields=["order"])
        after = [c.name for c in ordered]
        if after != before:
            record(
                body,
                "category.reorder",
                by=by,
                root=body,
                data={"before": {"order": before}, "after": {"order": after}},
            )
        return ordered


def move_category(category: Category, *, by, step: int) -> list[Category]:
    """Move a category one place up (`step=-1`) or down (`step=1`) in its body's list."""
    body = category.body
    ordered = list(Category.objects.filter(body=body))
    index = next(i for i, c in enumerate(ordered) if c.pk == category.pk)
    target = index + step
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    return reorder_categories(body, ordered, by=by)


def _create_account(user, values: dict[str, Any], *, by, relations=None):
    _set(user, values, ACCOUNT_FIELDS)
    if not user.password:
        user.set_unusable_password()
    _validate(user)
    user.save()
    for name, value in (relations or {}).items():
        getattr(user, name).set(value)
    tracked = ACCOUNT_FIELDS + ACCOUNT_RELATIONS
    record(user, "account.create", by=by, data=_difference({}, _snapshot(user, tracked)))
    return user


def create_account(
    body: Body,
    *,
    by,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    roles: Iterable[str],
    unit: Unit | None = None,
    member: Member | None = None,
    phone: str = "",
) -> Membership:
    """Open an account for a person of `body` with its membership there (开通账号), both on
    the record. The account has no usable password yet: its administrator issues a one-time
    password (`banli.accounts.services.issue_temporary_password`), to be changed at the first
    login. Returns the membership."""
    User = get_user_model()
    _authorize(by, "auth.add_user", body)
    _authorize(by, "bodies.add_membership", body)
    with transaction.atomic():
        names = {"first_name": first_name, "last_name": last_name, "email": email}
        user = _create_account(User(), {"username": username, **names}, by=by)
        return save_membership(
            Membership(user=user, body=body),
            by=by,
            roles=roles,
            unit=unit,
            member=member,
            phone=phone,
        )


def save_account(user, *, by, groups=None, user_permissions=None, **values):
    """Create an account (an unsaved user, its password already set) or change its name,
    e-mail, `is_active`, `is_staff`, `is_superuser`, groups and permissions. An account is
    closed with `is_active=False`, never deleted: its history keeps naming it.

    A body's administrator changes the name and e-mail of the accounts they look after
    (`manages_account`), nothing else; a new account of a body is `create_account`'s."""
    User = get_user_model()
    relations = {
        name: value
        for name, value in (("groups", groups), ("user_permissions", user_permissions))
        if value is not None
    }
    tracked = ACCOUNT_FIELDS + ACCOUNT_RELATIONS
    with transaction.atomic():
        if user.pk is None:
            _authorize(by, "auth.add_user")
            return _create_account(user, values, by=by, relations=relations)
        current = User._default_manager.select_for_update().get(pk=user.pk)
        if not _may_change_account(by, current, values, relations):
            raise NotAllowed()
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


def _may_change_account(by, account, values: dict, relations: dict) -> bool:
    if as_actor(by).is_system:
        return True
    user = user_of(by)
    if user is not None and user.has_perm("auth.change_user"):
        return True
    return (
        not relations and set(values) <= set(BODY_ACCOUNT_FIELDS) and manages_account(by, account)
    )
