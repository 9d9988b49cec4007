"""Duplicate detection (并案) and hotspot mining (信息挖掘) over tickets."""
