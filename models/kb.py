"""Knowledge base: categories, articles, versions, yellow pages, questions, embeddings."""

from __future__ import annotations
