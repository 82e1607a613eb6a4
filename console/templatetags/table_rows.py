"""`{% rows row in sequence %}…{% endrows %}`: a `{% for %}` over the rows of a long table whose cells are
text the view model already escaped (console/order_page/rows.py).

The markup of a row stays in the template (often a `{% partialdef … inline %}` that a test or an htmx
fragment renders alone). When the row's body is only text and `{{ row.key }}` variables without filters,
it is read once into its pieces, and each row is joined from them: a value that is already safe text is
printed as it is, which is what Django's variable node prints for it (localize, template_localtime and
conditional_escape all give safe text back unchanged). Any other value (a number, plain text, a missing
key) is printed by the variable node itself, so the output is the same byte for byte. A body with any
other node (a tag, a filter, another variable) is rendered by Django for every row, as `{% for %}` does.
Measured on the order page of 200 items: docs/performance.md, "Console order page".

No `forloop` and no `{% empty %}`: the rows of these tables need neither.
"""

from django import template
from django.template.base import Node, NodeList, TextNode, VariableNode
from django.utils.safestring import SafeString
from template_partials.templatetags.partials import DefinePartialNode

register = template.Library()

Piece = str | tuple[str, VariableNode]


def _pieces(nodelist: NodeList, name: str) -> list[Piece] | None:
    """The body as text and (key, node) pieces, or None when it holds anything else."""
    pieces: list[Piece] = []
    for node in nodelist:
        if isinstance(node, TextNode):
            pieces.append(node.s)
        elif isinstance(node, DefinePartialNode) and node.inline:
            inner = _pieces(node.nodelist, name)
            if inner is None:
                return None
            pieces += inner
        elif isinstance(node, VariableNode):
            expression = node.filter_expression
            lookups = getattr(expression.var, "lookups", None)
            if expression.filters or lookups is None or len(lookups) != 2 or lookups[0] != name:
                return None
            pieces.append((lookups[1], node))
        else:
            return None
    return pieces


class RowsNode(Node):
    child_nodelists = ("nodelist",)

    def __init__(self, name: str, sequence: template.base.FilterExpression, nodelist: NodeList) -> None:
        self.name = name
        self.sequence = sequence
        self.nodelist = nodelist
        self.pieces = _pieces(nodelist, name)

    def render(self, context: template.Context) -> str:
        rows = self.sequence.resolve(context, ignore_failures=True) or ()
        out: list[str] = []
        with context.push():
            for row in rows:
                context[self.name] = row
                if self.pieces is None:
                    out.append(self.nodelist.render(context))
                    continue
                for piece in self.pieces:
                    if type(piece) is str:
                        out.append(piece)
                        continue
                    key, node = piece
                    value = row.get(key) if type(row) is dict else None
                    out.append(value if type(value) is SafeString else node.render_annotated(context))
        return SafeString("".join(out))


@register.tag
def rows(parser: template.base.Parser, token: template.base.Token) -> RowsNode:
    bits = token.split_contents()
    if len(bits) != 4 or bits[2] != "in":
        raise template.TemplateSyntaxError("'rows' reads: {% rows row in sequence %}")
    nodelist = parser.parse(("endrows",))
    parser.delete_first_token()
    return RowsNode(bits[1], parser.compile_filter(bits[3]), nodelist)
