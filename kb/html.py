"""Sanitising of HTML article bodies on write: an allow-list (nh3/ammonia) drops scripts, event-handler
attributes and `javascript:` URLs; markdown bodies are left as written."""

from __future__ import annotations

import nh3

# nh3's default tag allow-list plus what the rich-text editor produces; attributes are per tag.
TAGS = nh3.ALLOWED_TAGS | {"span", "font", "u", "s"}
ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "span": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise_html(html: str) -> str:
    """The allowed subset of `html` (relative links such as `/api/kb/...` stay)."""
    return nh3.clean(
        html or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
