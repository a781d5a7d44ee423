from django.urls import path

from .views import actions, attachments, browse, proposer, review, similar, timeline

app_name = "items"

urlpatterns = [
    path("", browse.item_list, name="list"),
    path("<int:pk>/", browse.item_detail, name="detail"),
    path("<int:pk>/timeline/", timeline.item_timeline, name="timeline"),
    path("mine/", proposer.mine, name="mine"),
    path("new/", proposer.create, name="create"),
    path("members/", proposer.member_options, name="member_options"),
    path("similar/", similar.similar_items, name="similar"),
    path("<int:pk>/edit/", proposer.edit, name="edit"),
    path("<int:pk>/do/<str:action>/", actions.item_action, name="action"),
    path("<int:pk>/cosigners/", actions.cosigner_status, name="cosigners"),
    path("review/", review.review_queue, name="review"),
    path("<int:pk>/merge-candidates/", review.merge_candidates, name="merge_candidates"),
    path("attachments/<int:pk>/", attachments.download, name="attachment"),
]
