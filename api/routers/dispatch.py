"""智能派单 API."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["智能派单"], responses=PROBLEM_RESPONSES)
