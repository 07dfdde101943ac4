"""aliyun rules beyond what its JSON Schemas state: none.

The sd_img2img page is a field table (name, type, description) and nothing else: no
Required column, no ranges, no defaults, and no prose tying one field to another. Every
constraint it states is a type, which the schemas carry, so there is nothing left for a rule
to check. A constraint is not invented to fill the gap (schemas/README.md, "Nothing
invented"); in particular the doc's misspelt ``negtive_prompt`` is the schema's field, and the
A1111 spelling ``negative_prompt`` is reported by the schema as ``unknown-field`` with the
suggestion ``negtive_prompt``, not by a rule.

The same holds for the envelope: the official SDK treats an envelope as an error when
``errCode`` or ``subErrCode`` is non-null, but no doc states that as a constraint on the
response, so it is noted in ``error.schema.json`` rather than checked here.
"""

from __future__ import annotations

from ._registry import RuleSet

__all__ = ["RULES"]

RULES = RuleSet("aliyun")
