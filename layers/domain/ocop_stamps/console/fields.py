"""Form controls the console's forms share: a label for each, the value kept, the problem
shown next to its field (``aria-invalid``, ``aria-describedby``) and listed at the top with a
link to it. Render only: every value escaped (``frame.e``); labels are already-escaped texts
from ``frame.t``. Standard library and ``core`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ocop_stamps.console.frame import e, t

Option = tuple[str, str]  # (value, text shown)


class Both(str):
    """A field's refusal in the page's language (the string itself, also ``here``) and in the
    other one (``there``, in ``there_lang``): shown next to the field in both, the page's first.
    A ``str``, so a form that shows one language only still reads it as its sentence."""

    there: str
    there_lang: str

    def __new__(cls, here: str, there: str, there_lang: str) -> Both:
        made = super().__new__(cls, here)
        made.there, made.there_lang = there, there_lang
        return made

    @property
    def here(self) -> str:
        return str(self)


Problems = Mapping[str, str | Both]


def _problem(name: str, problems: Problems) -> tuple[str, str]:
    if name not in problems:
        return "", ""
    found = problems[name]
    if isinstance(found, Both):
        shown = (
            f'<div class="err" id="{e(name)}-err"><p>{e(found.here)}</p>'
            f'<p class="muted" lang="{e(found.there_lang)}">{e(found.there)}</p></div>'
        )
    else:
        shown = f'<p class="err" id="{e(name)}-err">{e(found)}</p>'
    return f' aria-invalid="true" aria-describedby="{e(name)}-err"', shown


def _hint(name: str, hint: str | None) -> tuple[str, str]:
    if not hint:
        return "", ""
    return f'<p class="muted hint" id="{e(name)}-hint">{hint}</p>', f"{e(name)}-hint"


def _described(attr: str, hint_id: str) -> str:
    """Joins the hint's id into ``aria-describedby`` (after the error's, when there is one)."""
    if not hint_id:
        return attr
    if "aria-describedby" in attr:
        return attr.replace('-err"', f'-err {hint_id}"')
    return f'{attr} aria-describedby="{hint_id}"'


def text(
    name: str,
    label: str,
    values: Mapping[str, str],
    problems: Problems,
    *,
    kind: str = "text",
    extra: str = "",
    hint: str | None = None,
    required: bool = True,
) -> str:
    """A labelled ``<input>``; ``extra`` is trusted attribute text (``min``, ``maxlength``...)."""
    attr, err = _problem(name, problems)
    hint_html, hint_id = _hint(name, hint)
    need = " required" if required else ""
    return (
        f'<label for="{e(name)}">{label}</label>{hint_html}'
        f'<input id="{e(name)}" name="{e(name)}" type="{e(kind)}" value="{e(values.get(name, ""))}"{need}'
        f"{' ' + extra if extra else ''}{_described(attr, hint_id)}>{err}"
    )


def area(
    name: str,
    label: str,
    values: Mapping[str, str],
    problems: Problems,
    *,
    rows: int = 3,
    maxlength: int = 2000,
    hint: str | None = None,
    required: bool = False,
) -> str:
    """A labelled ``<textarea>``."""
    attr, err = _problem(name, problems)
    hint_html, hint_id = _hint(name, hint)
    need = " required" if required else ""
    return (
        f'<label for="{e(name)}">{label}</label>{hint_html}'
        f'<textarea id="{e(name)}" name="{e(name)}" rows="{rows}" maxlength="{maxlength}"{need}'
        f"{_described(attr, hint_id)}>{e(values.get(name, ''))}</textarea>{err}"
    )


def select(
    name: str,
    label: str,
    options: Sequence[Option] | Mapping[str, Sequence[Option]],
    chosen: str,
    problems: Problems,
    *,
    placeholder: str | None = None,
    hint: str | None = None,
    required: bool = True,
) -> str:
    """A labelled ``<select>``; ``options`` either a list or ``{group label: list}`` (``<optgroup>``).
    ``placeholder``: a first, empty choice (so nothing is chosen by accident; with
    ``required=False`` it is the answer "none")."""
    attr, err = _problem(name, problems)
    hint_html, hint_id = _hint(name, hint)

    def one(value: str, shown: str) -> str:
        return f'<option value="{e(value)}"{" selected" if value == chosen else ""}>{e(shown)}</option>'

    if isinstance(options, Mapping):
        inner = "".join(
            f'<optgroup label="{e(group)}">{"".join(one(v, s) for v, s in items)}</optgroup>'
            for group, items in options.items()
            if items
        )
    else:
        inner = "".join(one(v, s) for v, s in options)
    first = f'<option value="">{e(placeholder)}</option>' if placeholder is not None else ""
    return (
        f'<label for="{e(name)}">{label}</label>{hint_html}'
        f'<select id="{e(name)}" name="{e(name)}"{" required" if required else ""}{_described(attr, hint_id)}>{first}{inner}</select>{err}'
    )


def error(name: str, problems: Problems) -> str:
    """The problem's HTML for a control the caller draws itself (a group of radio buttons)."""
    return _problem(name, problems)[1]


def summary(lang: str, problems: Problems, key: str = "form_invalid") -> str:
    """The top of a refused form: what happened, then each problem (in the page's language) linked to its field."""
    if not problems:
        return ""
    items = "".join(
        f'<li><a href="#{e(name)}">{e(found.here if isinstance(found, Both) else found)}</a></li>'
        for name, found in problems.items()
    )
    return f'<div class="alert" role="alert"><p>{t(key, lang)}</p><ul>{items}</ul></div>'


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{e(name)}" value="{e(value)}">'
