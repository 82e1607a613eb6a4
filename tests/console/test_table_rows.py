"""`{% rows %}` prints what `{% for %}` prints, whatever the rows hold (console/templatetags/table_rows.py)."""

from decimal import Decimal

from django.template import Context, Template
from django.utils.safestring import mark_safe

BODY = '{% partialdef cell inline %}<tr><td>{{ row.a }}</td><td class="num">{{ row.b }}</td></tr>{% endpartialdef %}'
ROWS = [
    {"a": mark_safe("<b>safe</b>"), "b": mark_safe("1.00")},
    {"a": "<i>plain & unescaped</i>", "b": Decimal("2.50")},
    {"a": mark_safe("x")},  # a missing key prints as Django prints it (nothing)
    {"a": 7, "b": None},
]


def _both(body: str, rows: list) -> tuple[str, str]:
    ours = Template("{% load partials table_rows %}{% rows row in items %}" + body + "{% endrows %}")
    django = Template("{% load partials %}{% for row in items %}" + body + "{% endfor %}")
    return ours.render(Context({"items": rows})), django.render(Context({"items": rows}))


def test_rows_print_what_a_for_loop_prints():
    ours, django = _both(BODY, ROWS)
    assert ours == django
    assert "<b>safe</b>" in ours and "&lt;i&gt;plain &amp; unescaped&lt;/i&gt;" in ours and "2.50" in ours


def test_a_body_with_tags_or_filters_is_rendered_by_django_for_every_row():
    body = "{% if row.a %}<p>{{ row.a|upper }}</p>{% endif %}{{ other }}"
    ours, django = _both(body, ROWS)
    assert ours == django and "<p>7</p>" in ours


def test_objects_as_rows_and_no_rows():
    class Row:
        a = mark_safe("<em>attr</em>")
        b = 3

    ours, django = _both(BODY, [Row()])
    assert ours == django and "<em>attr</em>" in ours
    assert _both(BODY, []) == ("", "")
    assert Template("{% load table_rows %}{% rows row in missing %}x{% endrows %}").render(Context({})) == ""
