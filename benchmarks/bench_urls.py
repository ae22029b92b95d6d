"""The product's URLs plus /bench/trivial/, the reference page of benchmarks/pages_bench.py.

The trivial view goes through the same middleware as every page (sessions, CSRF, authentication, CSP, the
network middleware …) and returns a two-byte body: what any page costs before its own work.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("interschool.config.urls")),
]
