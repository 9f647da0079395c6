"""Asynchronous multi-process sampling: worker processes, shared-memory buffers, typed messages.

The worker processes run the same `RolloutWorker` class as the serial mode; only slot indices and
small NamedTuples travel through the queues, the arrays stay in shared memory.
"""
