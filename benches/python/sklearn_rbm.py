"""Times scikit-learn's BernoulliRBM at the shape of `benches/benches/rbm.rs`.

One epoch of `fit` over 1,000 samples of 784 units with 20% ones, 500 hidden
units, batches of 100 (scikit-learn's update is PCD-1), in f32 and f64, on one
thread and on two. Prints one JSON object: samples per second for each case,
the median of several epochs. `cargo xtask bench --sklearn` runs it right
after the criterion benchmarks, so the ratio is taken in one run.
"""

import json
import statistics
import sys
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_limits

VISIBLE, HIDDEN, BATCH, BATCHES = 784, 500, 100, 10
REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def samples_per_second(dtype, threads):
    rng = np.random.default_rng(1)
    data = (rng.random((BATCH * BATCHES, VISIBLE)) < 0.2).astype(dtype)
    times = []
    with threadpool_limits(limits=threads):
        for repeat in range(REPEATS + 1):
            model = BernoulliRBM(
                n_components=HIDDEN, learning_rate=0.01, batch_size=BATCH, n_iter=1, random_state=repeat
            )
            start = time.perf_counter()
            model.fit(data)
            if repeat > 0:  # the first epoch warms caches and the BLAS threads
                times.append(time.perf_counter() - start)
    return BATCH * BATCHES / statistics.median(times)


results = {
    f"{name}-{threads}-thread{'s' if threads > 1 else ''}": samples_per_second(dtype, threads)
    for name, dtype in [("f32", np.float32), ("f64", np.float64)]
    for threads in (1, 2)
}
print(json.dumps(results))
