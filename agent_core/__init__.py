"""The agent: worlds, data collection, planning, and the loop that joins model, memory and language."""
