"""The end-to-end and peer benchmark harness behind bench/run (Python standard library only)."""
