"""Routes of banli.reminders."""

from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/<str:code>/", views.change_rule, name="change_rule"),
    path("sent/", views.sent, name="sent"),
    path("disclosure/", views.disclosure, name="disclosure"),
    path("disclosure/<int:pk>/publish/", views.publish, name="publish"),
]
