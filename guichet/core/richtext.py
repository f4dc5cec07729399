"""Rich text: the editor (django-prose-editor) and the server-side nh3 allow-list share one config."""

from django_prose_editor.fields import ProseEditorField

RICH_TEXT_CONFIG = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Underline": True,
        "Heading": {"levels": [2, 3, 4]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto", "tel"]},
    }
}


def RichTextField(**kwargs) -> ProseEditorField:  # noqa: N802 - used like a field class
    """A text field edited with ProseMirror and sanitised with nh3 whenever a model is cleaned."""
    return ProseEditorField(config=RICH_TEXT_CONFIG, sanitize=True, **kwargs)
