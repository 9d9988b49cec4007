"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.errors import DomainError

PROBLEM = "application/problem+json"

_REASONS = {
    "missing": "必填",
    "string_too_short": "长度不足",
    "string_too_long": "长度超出限制",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为布尔值",
    "datetime_parsing": "时间格式错误",
    "datetime_from_date_parsing": "时间格式错误",
    "date_from_datetime_parsing": "日期格式错误",
    "json_invalid": "JSON 格式错误",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_pattern_mismatch": "格式不正确",
    "extra_forbidden": "不允许的字段",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "string_type": "应为字符串",
    "int_type": "应为整数",
}


def problem(status: int, title: str, detail: str, *, field: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, field=exc.field, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            reason = _REASONS.get(err.get("type", ""), err.get("msg", "无效"))
            errors.append(
                {"field": _field_name(tuple(err.get("loc", ()))), "reason": reason, "message": err.get("msg")}
            )
        first = errors[0] if errors else {"field": None, "reason": "无效"}
        return problem(
            422,
            "参数错误",
            f"字段 {first['field']}：{first['reason']}",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {401: "未登录或登录已过期", 403: "无权操作", 404: "资源不存在", 405: "方法不允许"}
        resp = problem(exc.status_code, titles.get(exc.status_code, "请求错误"), str(exc.detail))
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp
