"""The no-op task: the baseline of reminder dispatch through the same worker and broker.

It does the least a task can do and still be observed: one Redis increment, the same one round
trip the loopback gateway spends per reminder, so the two throughputs differ only by what sending a
reminder costs beyond a task's own overhead.
"""

from celery import shared_task

from bench.gateway import client

NOOP_COUNTER = "bench:noop:done"


@shared_task(ignore_result=True)
def noop(_n: int) -> None:
    client().incr(NOOP_COUNTER)
