package patchsites.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import patchsites.bench.harness.ConcurrentHarness;
import patchsites.bench.harness.Report;

/**
 * Patching real code: the native harness (examples/concurrent-patching, 200,000 generated sites,
 * half of them atomic under the aligned policy) re-targets {@code sites} sites by one protocol in
 * 500 ms windows while one worker per CPU calls every site and checks who answered. JMH reports
 * the aux counters as rates: {@code patches} (sites re-targeted per second) and {@code calls}
 * (worker calls per second; with {@code protocol=none}, the workers without a patcher). A window
 * with any fault or wrong answer throws. The harness is a child process: it patches its own text
 * and takes SIGTRAP, which must not happen in the JVM.
 *
 * <p>Protocols: {@code atomic} (one aligned store, atomic sites), {@code breakpoint} and
 * {@code breakpoint-batched} (text_poke_bp one site at a time / 256 per batch, every site),
 * {@code breakpoint-on-atomic} (the INT3 protocol on the atomic sites: what the cheap one saves),
 * {@code model} (each site by its verdict, breakpoints one by one), {@code stop-machine} and
 * {@code stop-machine-batched} (park every worker per site / per 256 sites), {@code none}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HarnessBench {
    /** Generated sites in the harness program: 10^5 atomic ones, as the largest size needs. */
    public static final int PROGRAM_SITES = 200_000;
    private static final int WINDOW_MS = 500;

    @Param({"1000", "10000", "100000"})
    public int sites;

    @Param({"atomic", "breakpoint", "breakpoint-batched", "breakpoint-on-atomic", "model", "stop-machine",
            "stop-machine-batched", "none"})
    public String protocol;

    private ConcurrentHarness harness;
    private String name, select;
    private int batch;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rates {
        public long patches;
        public long calls;
        public long syncRounds;
        public long trapsEmulated;
    }

    /** The harness program, built once into -Dpatchsites.harness.dir (bench/harness.sh does). */
    static Path program() {
        String dir = System.getProperty("patchsites.harness.dir");
        if (dir == null) {
            throw new IllegalStateException("set -Dpatchsites.harness.dir (bench/harness.sh does)");
        }
        Path p = Path.of(dir);
        if (!Files.isExecutable(p.resolve("harness"))) {
            ConcurrentHarness.build(p, PROGRAM_SITES, "aligned", null);
        }
        return p;
    }

    @Setup(Level.Trial)
    public void start() throws IOException {
        name = protocol.replace("-batched", "").replace("-on-atomic", "");
        select = protocol.equals("atomic") || protocol.equals("breakpoint-on-atomic") ? "atomic" : "all";
        batch = protocol.endsWith("-batched") ? 256 : 1;
        harness = ConcurrentHarness.serve(program());
        harness.header().forEach(l -> System.out.println("# " + l));
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        harness.close();
    }

    @Benchmark
    public void window(Rates r) throws IOException {
        Map<String, String> w = harness.window(name, select, sites, batch, WINDOW_MS);
        if (Report.failures(w) != 0) {
            throw new IllegalStateException("faults or wrong answers in a window: " + w);
        }
        r.patches += Long.parseLong(w.get("patches"));
        r.calls += Long.parseLong(w.get("calls"));
        r.syncRounds += Long.parseLong(w.get("sync-rounds"));
        r.trapsEmulated += Long.parseLong(w.get("trap-emulated"));
    }
}
