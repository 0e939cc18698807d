"""Background runs: the queue manager (enqueue, keep workers up, recover) and the workers.

Above the store (`boost.runs`) and training (`boost.training`): a worker claims a queued run
from the store and trains it. The manager never imports TensorFlow; the worker does, once.
"""
