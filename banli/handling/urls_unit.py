"""Routes of the handling unit's pages; see banli.handling.views.unit."""

from django.urls import path

from .views import unit

urlpatterns = [
    path("inbox/", unit.inbox, name="inbox"),
    path("unit/", unit.unit_items, name="unit_items"),
    path("signing/", unit.signing, name="signing"),
    path("assignment/<int:pk>/reply/", unit.reply, name="reply"),
    path(
        "assignment/<int:pk>/do/<str:action>/",
        unit.assignment_action,
        name="assignment_action",
    ),
]
