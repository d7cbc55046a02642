import os

from digitpad.core.parallel import map_chunks


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_results_keep_job_order_in_worker_processes():
    results = map_chunks(_square_and_pid, list(range(8)), workers=2)
    assert [r for r, _ in results] == [x * x for x in range(8)]
    assert os.getpid() not in {pid for _, pid in results}


def test_one_job_or_one_worker_stays_in_this_process():
    for jobs, workers in (([3], 2), ([1, 2, 3], 1)):
        results = map_chunks(_square_and_pid, jobs, workers=workers)
        assert [r for r, _ in results] == [x * x for x in jobs]
        assert {pid for _, pid in results} == {os.getpid()}
