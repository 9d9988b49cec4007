"""知识库 API."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["知识库"], responses=PROBLEM_RESPONSES)
