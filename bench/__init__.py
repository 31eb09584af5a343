"""Benchmark entry points; the implementations live in marketbridge.benchmarks."""
