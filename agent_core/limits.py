"""Upper bounds on every count a user can give, checked before any work starts.

A count without a bound lets one typo (`wait: 999999999`, `--samples 100000`) run for days or
ask for hundreds of gigabytes. Each bound is far above what a real use needs, and the CLI's
options and the episode-script schema read them from here, so `--help` and the docs show them.
"""

from __future__ import annotations

MAX_SEED = 2**63 - 1  # seeds are stored in 64-bit signed SQL columns
MAX_NAMESPACE_LENGTH = 200  # the memory database's namespaces.name column
MAX_THREADS = 256  # torch or llama.cpp threads; more than the cores never helps

# Episode scripts (`worldmind replay`)
MAX_SCRIPT_BYTES = 1_000_000  # a hand-written script is a few kilobytes
MAX_SCRIPT_STEPS = 2_000
MAX_SCRIPT_REPEAT = 10_000  # repeats of one raw action
MAX_SCRIPT_WAIT = 10_000  # model steps of one `wait` (about two minutes on a CPU)

# Planning (`worldmind plan`, `bench plan`): candidates x horizon latents live in memory at once
MAX_HORIZON = 64  # model steps
MAX_SAMPLES = 8_192  # candidate action sequences per iteration
MAX_ITERATIONS = 100
MAX_BUDGET = 100_000  # environment steps of one episode
MAX_EPISODES = 100_000
MAX_PLAN_SEEDS = 100
MAX_EXPERIENCE_STEPS = 1_000_000  # random-walk steps that build an experience map

# Data collection and training
MAX_COLLECT_EPISODES = 1_000_000
MAX_COLLECT_STEPS = 100_000  # steps per episode
MAX_WORKERS = 64
MAX_TRAIN_STEPS = 10_000_000
