"""The capability matrix: every canonical field against every provider, from `capabilities`.

``sdcontracts matrix`` prints it as Markdown (the README shows it), JSON or HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from .._catalogue import providers as all_providers
from ._capabilities import Capability, capabilities
from ._mapping import CANONICAL_FIELDS

__all__ = ["cell", "matrix", "render"]


def matrix(providers: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"providers": [...], "fields": {field: {provider: capability dict}}, "limits": {...}}``."""
    chosen = list(providers or all_providers())
    caps = {p: capabilities(p) for p in chosen}
    return {
        "providers": chosen,
        "fields": {f.path: {p: caps[p][f.path].to_dict() for p in chosen} for f in CANONICAL_FIELDS},
        "limits": {p: caps[p].to_dict()["limits"] for p in chosen},
    }


def cell(capability: Capability) -> str:
    """One capability in a few words: ``512-1536 x64``, ``20 values``, ``<= 5``, ``url``, or a dash."""
    if not capability.supported:
        return "—"
    words: list[str] = []
    if capability.transport:
        words.append(capability.transport)
        limits = capability.image or {}
        if "maxWidth" in limits:
            words.append(f"≤ {limits['maxWidth']} px")
        if "maxBytes" in limits:
            words.append(f"≤ {limits['maxBytes'] / 1048576:g} MiB")
    elif capability.enum is not None:
        listed = ", ".join(map(str, capability.enum))
        words.append(f"{len(capability.enum)} values" if len(capability.enum) > 4 else listed)
    else:
        low = capability.minimum if capability.minimum is not None else capability.exclusive_minimum
        high = capability.maximum if capability.maximum is not None else capability.exclusive_maximum
        above = ">" if capability.exclusive_minimum is not None else "≥"
        below = "<" if capability.exclusive_maximum is not None else "≤"
        if low is not None and high is not None:
            exclusive = capability.exclusive_minimum is not None or capability.exclusive_maximum is not None
            words.append(f"{above} {low}, {below} {high}" if exclusive else f"{low}–{high}")  # noqa: RUF001
        elif low is not None:
            words.append(f"{above} {low}")
        elif high is not None:
            words.append(f"{below} {high}")
        if capability.multiple_of:
            words.append(f"×{capability.multiple_of}")  # noqa: RUF001
        if capability.max_length is not None:
            words.append(f"≤ {capability.max_length} chars")
    if capability.max_items is not None:
        words.append(f"≤ {capability.max_items} items")
    if capability.required:
        words.append("required")
    return " ".join(words) or "yes"


def render(form: str, providers: Sequence[str] | None = None) -> str:
    """The matrix as ``markdown``, ``json`` or ``html``."""
    chosen = list(providers or all_providers())
    if form == "json":
        return json.dumps(matrix(chosen), indent=2, ensure_ascii=False) + "\n"
    caps = {p: capabilities(p) for p in chosen}
    rows = [[f.path, *(cell(caps[p][f.path]) for p in chosen)] for f in CANONICAL_FIELDS]
    limits = [f"{p}: {', '.join(a.fields)} area ≤ {a.maximum:,} ({a.rule})" for p in chosen for a in caps[p].limits]
    if form == "markdown":
        lines = ["| field | " + " | ".join(chosen) + " |", "|---" * (len(chosen) + 1) + "|"]
        lines += ["| " + " | ".join(f"`{row[0]}`" if i == 0 else value for i, value in enumerate(row)) + " |"
                  for row in rows]  # fmt: skip
        return "\n".join(lines) + "\n" + "".join(f"\n{line}\n" for line in limits)
    if form == "html":
        head = "".join(f"<th>{html.escape(p)}</th>" for p in chosen)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
        notes = "".join(f"<p>{html.escape(line)}</p>" for line in limits)
        return f"<table><thead><tr><th>field</th>{head}</tr></thead><tbody>{body}</tbody></table>{notes}\n"
    raise ValueError(f"unknown matrix format {form!r} (markdown, json or html)")
