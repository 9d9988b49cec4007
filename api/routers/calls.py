"""话务 API."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas import PROBLEM_RESPONSES

router = APIRouter(prefix="/api", tags=["话务"], responses=PROBLEM_RESPONSES)
