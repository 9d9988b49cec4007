"""The work-order (工单) workflow: accept, dispatch, sign, handle, answer, revisit, close.

Where things are
----------------
- ``enums``        channels, appeal types, states, actions (glossary names) and their Chinese labels
- ``transitions``  THE workflow: (state, action) → new state, roles allowed, payload it records
- ``payloads``     what each action takes (pydantic; also the request bodies in OpenAPI)
- ``service``      the only writers: ``accept``, ``apply_action``, ``get`` (+ timeline, attachments)
- ``calendar``     working calendar (weekends, holidays, make-up working days; ``calendar_days``)
- ``deadlines``    where every deadline comes from and its warning colour
- ``warnings``     the SLA sweep (Celery beat ``tickets.sweep_sla``) recording yellow / red
- ``outbox``       export of every change to the regional platform (``tickets.deliver_outbox``)
- ``access``       who sees which tickets, masking of citizen details
- ``queries``      inboxes per role, filters, full-text search, the caller's history
- ``export``       xlsx; ``kpis`` unit KPIs from the timeline and the real-time monitor
- ``demo``         ``load_demo``: calendar, handling rules and ~30 Nanning tickets

Public service API (for other domains)
--------------------------------------
All functions take a SQLAlchemy ``Session`` and a ``models.scope.Scope`` and never commit: the
caller owns the transaction. Errors are ``models.errors`` exceptions (Invalid 422 with ``field``,
NotFound 404, PermissionDenied 403, Conflict 409 with ``allowed_actions``).

``tickets.service.accept(db, scope, *, idempotency_key=None, now=None, actor_label=None, **fields) -> Ticket``
    Accept an appeal. ``fields`` are those of ``tickets.payloads.TicketIn`` (channel, call_id,
    external_id, citizen_name, citizen_phone, appeal_type, urgency, title, content, address,
    district, category, confidential, attachment_ids, article_ids, tenant_id, sign_deadline).
    Regional (``channel="regional"``) tickets arrive in ``to_sign`` for the centre.

``tickets.service.apply_action(db, scope, ticket_id, action, *, actor_label=None, now=None, **payload) -> Ticket``
    Apply one action of ``tickets.transitions.TABLE`` (``"dispatch"``, ``"sign"``, ``"answer"`` …)
    with the fields of its payload model. Locks the ticket row (SELECT … FOR UPDATE, plus a
    version column), appends one timeline row and, for exported actions, one outbox row.

``tickets.service.get(db, scope, ticket_id) -> Ticket``
    The ticket if the scope may read it, else NotFound.

``tickets.service.system_scope(db, label) -> Scope``
    A scope for automatic actors. Automatic dispatch calls::

        apply_action(db, system_scope(db, "auto-dispatch"), ticket_id, "dispatch",
                     actor_label="auto-dispatch", lead_unit_id=unit_id,
                     model_version="v3", confidence=0.97)

    and the timeline row has ``actor_id = NULL``, ``actor_label = "auto-dispatch"`` and the model
    version and confidence in its payload.

Other read helpers: ``service.timeline``, ``service.attachments``, ``service.citations``,
``service.actions_for(ticket, scope)``, ``queries.list_tickets``, ``queries.caller_history``,
``deadlines.ticket_colour(ticket, now)``, ``kpis.unit_kpis`` / ``kpis.monitor``.
Cited knowledge articles are kept in ``ticket_citations``; the API router also reports them to
``kb.citations.record``.
"""
