"""JSON printed the way FreeSWITCH's cJSON_Print does (`conference … json_list`): tab indents, `"key":\tvalue`,
arrays inline with `, ` between items."""

from __future__ import annotations

import json


def cjson(value: object, depth: int = 0) -> str:
    if isinstance(value, dict):
        inner = "\t" * (depth + 1)
        items = [f"{inner}{json.dumps(k)}:\t{cjson(v, depth + 1)}" for k, v in value.items()]
        body = ",\n".join(items)
        return "{\n" + body + ("\n" if items else "") + "\t" * depth + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cjson(v, depth + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)
