"""What a page module of the console gets and gives back, so it needs nothing of ``console.app``.

``console.app`` checks the session and the CSRF token, makes a ``Ctx`` and asks each page
module's ``route(ctx)``; the first that answers returns one of ``Shown`` (an HTML page),
``Moved`` (303 to another console page) or ``Sent`` (a file or an image), and ``console.app``
turns it into the HTTP answer with the console's headers and cookies. A domain refusal raised
by a page module is turned into a page by ``console.app`` as for its own pages (404 for
another producer's thing). Standard library and ``core`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ocop_stamps.core.auth import Principal


class Ctx(NamedTuple):
    """One signed-in request: ``parts`` is the path split on ``/`` after ``/console``
    (``/console/lots/new`` -> ``("lots", "new")``); ``form`` is empty for a GET; ``csrf`` is this
    session's token for the forms the page shows; ``base_url`` is the public base of labels."""

    lang: str
    method: str
    parts: tuple[str, ...]
    query: Mapping[str, str]
    form: Mapping[str, str]
    csrf: str
    principal: Principal
    base_url: str


class Shown(NamedTuple):
    """An HTML page: ``title`` (plain text, escaped by the frame) and ``body`` (HTML).
    ``refresh``: seconds after which the browser loads the page again (an HTTP ``Refresh`` header);
    ``headers``: more response headers (a camera page's ``Permissions-Policy``)."""

    status: int
    title: str
    body: str
    refresh: int | None = None
    headers: Mapping[str, str] | None = None


class Moved(NamedTuple):
    """303 See Other to ``location`` (a console path)."""

    location: str


class Sent(NamedTuple):
    """A file (``file_name`` set: downloaded) or an image shown in a page (``file_name`` None);
    ``headers``: more response headers (a CSV part's ``Link: rel=next``)."""

    content_type: str
    body: bytes
    file_name: str | None = None
    headers: Mapping[str, str] | None = None


Outcome = Shown | Moved | Sent
