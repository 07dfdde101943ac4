"""Zhiqite rules beyond what its JSON Schemas state: none.

Every constraint the "sd controlnet 生图" page states is a type, a range ([128,1024] and
[128,2048] with "且为8的倍数", cfg_scale [1,30]), an enum (sampler_index, resize_mode,
output_image_format) or a required marker, and the schemas in ``schemas/zhiqite/`` state
each of them. The page has no cross-field or prose constraint JSON Schema cannot express:
"最终生图数量=n_iter*batch_size" says what the two produce, not a limit on them, and the
suggested cfg_scale [7,11] (建议值) is advice. The query pages add only "archived data query
is not supported", which depends on the server's clock, not on the request body.
"""

from __future__ import annotations

from ._registry import RuleSet

__all__ = ["RULES"]

RULES = RuleSet("zhiqite")
