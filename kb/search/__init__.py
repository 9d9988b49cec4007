"""Hybrid search over the knowledge base: jieba + BM25, pluggable embedders, FAISS, RRF."""
