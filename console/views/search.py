from django.shortcuts import render

from console.access import console_view
from console.forms.search import OrderSearchForm
from console.htmx import wants_partial
from console.selectors import OrderSearch, order_search_page


@console_view()
def order_search(request):
    form = OrderSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        search = OrderSearch(
            q=data["q"],
            status=data["status"],
            channel=data["channel"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
        page = order_search_page(search, data["page"])
    elif not form.is_bound:
        page = order_search_page(OrderSearch(), 1)
    query = request.GET.copy()
    query.pop("page", None)
    partial = wants_partial(request)
    context = {"form": form, "page": page, "query": query.urlencode(), "nav": "orders", "partial": partial}
    template = "console/search.html#results" if partial else "console/search.html"
    # A search the form refuses (a date past the calendar, a page that is no number) is a 400 with the
    # errors by their fields; htmx swaps it in like any answer (the htmx-config of console/base.html).
    return render(request, template, context, status=400 if page is None else 200)
