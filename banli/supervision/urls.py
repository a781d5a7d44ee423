"""Routes of the supervision pages (banli.supervision.views)."""

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("key/", views.key_items, name="key_items"),
    path("item/<int:pk>/mark-key/", views.mark_key, name="mark_key"),
    path("item/<int:pk>/unmark-key/", views.unmark_key, name="unmark_key"),
    path("item/<int:pk>/key-leader/", views.change_leader, name="change_leader"),
    path("item/<int:pk>/chase/", views.chase, name="chase"),
    path("mine/", views.mine, name="mine"),
    path("activities/", views.activities, name="activities"),
    path("activities/new/", views.record_activity, name="record_activity"),
    path("activities/<int:pk>/", views.activity, name="activity"),
    path("activities/<int:pk>/withdraw/", views.withdraw_activity, name="withdraw_activity"),
    path("activities/<int:pk>/files/<int:file_pk>/", views.activity_file, name="activity_file"),
]
