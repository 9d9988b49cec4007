"""报表 API."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["报表"], responses=PROBLEM_RESPONSES)
