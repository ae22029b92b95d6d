"""URLs of the partnership pages, under /n/<network_slug>/partnerships/; each page module lists its own."""

from interschool.partnerships.views import agreements, factors, partnerships, plan

urlpatterns = [*partnerships.urlpatterns, *agreements.urlpatterns, *plan.urlpatterns, *factors.urlpatterns]
