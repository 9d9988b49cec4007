"""Shared API schemas."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None


PROBLEM_RESPONSES = {
    400: {"model": Problem, "description": "请求无效"},
    401: {"model": Problem, "description": "未登录"},
    403: {"model": Problem, "description": "无权操作"},
    404: {"model": Problem, "description": "资源不存在"},
    409: {"model": Problem, "description": "状态冲突"},
    422: {"model": Problem, "description": "参数错误"},
}
