"""Coarse-grained parallelism for the fast ops: independent chunks of work (blocks of channels) go to a
few worker threads that each run torch single-threaded. Every chunk is a few hundred small matrix
products; splitting chunks between threads keeps both cores busy without a fork and join per product,
and a worker held up by another process does not stall the other one."""

import concurrent.futures
import itertools
import threading

import torch

_pool = None
_pool_size = 0
_pool_lock = threading.Lock()

#----------------------------------------------------------------------------

def _get_pool(num_workers: int) -> concurrent.futures.ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < num_workers:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=num_workers, thread_name_prefix='sg3-ops')
            _pool_size = num_workers
        return _pool

def run_chunks(fn, num_chunks: int, num_workers: int | None = None) -> None:
    """Call fn(chunk) for every chunk in range(num_chunks), on up to `num_workers` threads (default: the
    calling thread's torch thread count). Exceptions propagate; grad and inference mode follow the caller."""
    if num_workers is None:
        num_workers = torch.get_num_threads()
    num_workers = max(1, min(num_workers, num_chunks))
    if num_workers == 1:
        for chunk in range(num_chunks):
            fn(chunk)
        return

    # Workers take the next chunk as they finish one, so a slow worker gets fewer.
    counter = itertools.count()
    counter_lock = threading.Lock()
    grad_enabled = torch.is_grad_enabled()
    inference = torch.is_inference_mode_enabled()

    def work():
        torch.set_num_threads(1) # Per thread: the caller keeps its own count.
        with torch.inference_mode(inference), torch.set_grad_enabled(grad_enabled):
            while True:
                with counter_lock:
                    chunk = next(counter)
                if chunk >= num_chunks:
                    return
                fn(chunk)

    futures = [_get_pool(num_workers).submit(work) for _ in range(num_workers)]
    for future in futures:
        future.result()

#----------------------------------------------------------------------------
