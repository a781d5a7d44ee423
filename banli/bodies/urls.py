"""Routes of the body administration pages (banli.bodies.views), under /body-admin/."""

from django.urls import path

from . import views

app_name = "bodies"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_add, name="user_add"),
    path("users/existing/", views.user_grant, name="user_grant"),
    path("users/<int:pk>/", views.membership, name="membership"),
    path("users/<int:pk>/account/", views.account_name, name="account_name"),
    path("users/<int:pk>/password/", views.account_password, name="account_password"),
    path("users/<int:pk>/active/", views.membership_active, name="membership_active"),
    path("units/", views.units, name="units"),
    path("units/new/", views.unit_edit, name="unit_add"),
    path("units/<int:pk>/", views.unit_edit, name="unit"),
    path("units/<int:pk>/active/", views.unit_active, name="unit_active"),
    path("members/", views.members, name="members"),
    path("members/new/", views.member_edit, name="member_add"),
    path("members/<int:pk>/", views.member_edit, name="member"),
    path("members/<int:pk>/active/", views.member_active, name="member_active"),
    path("categories/", views.categories, name="categories"),
    path("categories/<int:pk>/", views.category_edit, name="category"),
    path("categories/<int:pk>/move/", views.category_move, name="category_move"),
    path("rules/", views.rules, name="rules"),
    path("history/", views.history, name="history"),
]
