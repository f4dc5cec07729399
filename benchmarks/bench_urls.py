"""Benchmark-only URLs (see bench_settings.py): the product's URLs plus /bench/ok/, the smallest
Django view, served by the same server so that the public pages can be compared with it."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from guichet.urls import urlpatterns as product_urlpatterns


def ok(request):
    return HttpResponse("ok")


def sql_count_middleware(get_response):
    """Adds X-SQL-Queries: the statements the request sent through Django's database cursor
    (the same count as assertNumQueries; psycopg's implicit BEGIN/COMMIT are not among them)."""

    def middleware(request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = get_response(request)
        response["X-SQL-Queries"] = str(count)
        return response

    return middleware


urlpatterns = [path("bench/ok/", ok), *product_urlpatterns]
