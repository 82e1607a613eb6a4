"""The console's order page (templates/console/order.html), in three parts:

- queries: what the page reads, in a fixed number of queries whatever the number of items (order_page,
  and operations_for for the polled background-jobs fragment);
- rows: the view models the template prints, the long tables as rows of escaped text;
- timeline: every recorded change, oldest first, from the records already read;
and text, how figures and people are printed (each distinct figure formatted once per request).
"""

from console.order_page.queries import operations_for, order_page
from console.order_page.rows import OrderPage

__all__ = ["OrderPage", "operations_for", "order_page"]
