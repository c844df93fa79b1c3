"""Tensor operations with their derivative rules, written in backend primitives."""
