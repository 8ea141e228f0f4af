import Benchmark
import Drain

let benchmarks: @Sendable () -> Void = {
    Benchmark("placeholder-control") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(1) }
    }
}
