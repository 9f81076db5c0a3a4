"""rollup: collect, check and consolidate 政府信息公开工作年度报告 submissions."""

__version__ = "0.1.0"
