"""Routes of the staff's handling pages (views/staff.py) and of the proposer's evaluation
(views/evaluation.py); included under the `handling` namespace by urls.py."""

from django.urls import path

from .views import evaluation, staff, steering

urlpatterns = [
    path("item/<int:pk>/assign/", staff.assign, name="assign"),
    path("item/<int:pk>/assign/preview/", staff.assign_preview, name="assign_preview"),
    path("disputes/", staff.disputes, name="disputes"),
    path("assignment/<int:pk>/reassign/", staff.reassign, name="reassign"),
    path("assignment/<int:pk>/dismiss/", staff.dismiss, name="dismiss"),
    path("extensions/", staff.extensions, name="extensions"),
    path("extension/<int:pk>/decide/", staff.decide_extension, name="decide_extension"),
    path("board/", staff.board, name="board"),
    path("item/<int:pk>/close/", staff.close, name="close"),
    path("item/<int:pk>/add-unit/", steering.add_unit, name="add_unit"),
    path("assignment/<int:pk>/withdraw/", steering.withdraw, name="withdraw"),
    path("assignment/<int:pk>/due-date/", steering.change_due, name="change_due"),
    path("item/<int:pk>/evaluate/", evaluation.evaluate, name="evaluate"),
]
