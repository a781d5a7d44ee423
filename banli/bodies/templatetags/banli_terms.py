"""`{% load banli_terms %}`: a body's words in templates (`banli.bodies.terms`).

`{% term "lead_proposer" item %}` says it in the item's words (`body=` in a body's),
`{% term "my_items" %}` in
the current body's (the `terms` the navigation context processor puts in every page), or in
neutral words where no body is known."""

from django import template

from banli.bodies import terms as body_terms

register = template.Library()


@register.simple_tag(takes_context=True)
def term(context, key: str, item=None, kind: str | None = None, body=None):
    if item is not None or kind or body is not None:
        return body_terms.term(key, item=item, kind=kind, body=body)
    current = context.get("terms")
    if isinstance(current, body_terms.Terms):
        return current[key]
    return body_terms.term(key)


@register.simple_tag(takes_context=True)
def state_word(context, state: str, default):
    """An item state's name in the current body's words (a list's facets: 已立案 / 已受理)."""
    current = context.get("terms")
    if isinstance(current, body_terms.Terms):
        return current.state(state, default)
    return default
