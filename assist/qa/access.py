"""Who sees which calls' transcripts and scores: QA reviewers, supervisors and admins see every
agent in their tenant subtree; an agent sees their own calls only."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from models.org import Role
from models.scope import Scope

OVERSEERS = (Role.admin, Role.qa_reviewer, Role.supervisor)


def sees_all_agents(scope: Scope) -> bool:
    return scope.has(*OVERSEERS)


def can_see_agent_row(scope: Scope, tenant_id: int, agent_id: int | None) -> bool:
    return scope.can_see_tenant(tenant_id) and (sees_all_agents(scope) or agent_id == scope.user_id)


def visible(
    stmt: Select, scope: Scope, tenant_col: InstrumentedAttribute, agent_col: InstrumentedAttribute
) -> Select:
    """Limit a query to the scope's tenants, and to the user's own calls unless they oversee agents."""
    stmt = stmt.where(tenant_col.in_(scope.tenant_ids))
    return stmt if sees_all_agents(scope) else stmt.where(agent_col == scope.user_id)
