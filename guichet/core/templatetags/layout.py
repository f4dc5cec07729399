"""`{% layout_part %}`: a part of the site's layout (header, footer) rendered once per process for
the values it names, and reused by every page after that.

    {% layout_part "footer" organisation site_name %} … {% endlayout_part %}

The part may use only the values it names (besides URLs, static files and translations): its
output is remembered for those values, an Organisation by the values of all its fields, so that a
change staff make to the organisation shows on the next page in every process, however it reaches
it (`organisation_get`'s cache, a fallback row on the 500 page). Block tags stay outside the parts:
what a child template puts in a block is not the part's.

Every page renders the layout, and its header and footer (logo, legal links, contact, translated
labels, a dozen URLs) cost about 0.2 ms to render each time.
"""

from django import template
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# The parts rendered so far, by name and values; emptied when it grows past MAX_PARTS (every
# organisation change adds one entry per part).
_parts: dict[tuple, str] = {}
MAX_PARTS = 256


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    """Static files' and URLs' settings are fixed in a running site, not in tests."""
    _parts.clear()


def _value_key(value):
    """What a named value adds to the key: a model row by all its fields' values."""
    if isinstance(value, models.Model):
        return (
            type(value),
            *(field.value_from_object(value) for field in value._meta.concrete_fields),
        )
    return value


class LayoutPartNode(template.Node):
    def __init__(self, name: str, values: list, nodelist: template.NodeList):
        self.name, self.values, self.nodelist = name, values, nodelist

    def render(self, context) -> str:
        key = (
            self.name,
            get_language(),
            get_script_prefix(),
            context.autoescape,
            *(_value_key(value.resolve(context)) for value in self.values),
        )
        try:
            return _parts[key]
        except KeyError:
            pass
        except TypeError:  # a value that cannot be a key: rendered each time
            return self.nodelist.render(context)
        with context.push():  # what the part sets ({% url … as … %}) stays in it, hit or miss
            html = mark_safe(self.nodelist.render(context))
        if len(_parts) >= MAX_PARTS:
            _parts.clear()
        _parts[key] = html
        return html


@register.tag("layout_part")
def layout_part(parser, token) -> LayoutPartNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError(
            '{% layout_part "name" value… %}: the part\'s name, then the values it uses'
        )
    nodelist = parser.parse(("endlayout_part",))
    parser.delete_first_token()
    return LayoutPartNode(bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
