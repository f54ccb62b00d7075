package patchsites.bench;

import com.google.common.collect.ImmutableRangeMap;
import com.google.common.collect.Range;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import patchsites.collector.elf.Floor;

/**
 * "Which function holds this offset": the question {@code FunctionIndex.containing} (and the
 * section, mapping-symbol and boundary lookups) answer with {@link Floor} over a primitive array
 * of starts, against Guava's {@link ImmutableRangeMap} and the JDK's {@link TreeMap#floorEntry}
 * over the same disjoint intervals. 1,000 functions is a module; 240,000 the functions of the
 * combined object (docs/performance.md). Each operation is one lookup (of {@value #QUERIES}
 * precomputed offsets, a fifth of them in the gaps between functions, which find nothing).
 * The result decides whether Guava serves in elf/ (docs/libraries.md); nothing in main uses it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RangeLookupBench {
    static final int QUERIES = 4096;

    @Param({"1000", "240000"})
    public int functions;

    private long[] start, size;
    private ImmutableRangeMap<Long, Integer> rangeMap;
    private TreeMap<Long, Integer> treeMap;
    private long[] queries;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(42);
        start = new long[functions];
        size = new long[functions];
        ImmutableRangeMap.Builder<Long, Integer> b = ImmutableRangeMap.builder();
        treeMap = new TreeMap<>();
        long at = 0;
        for (int i = 0; i < functions; i++) {
            start[i] = at;
            size[i] = 16 + rnd.nextInt(2048);
            b.put(Range.closedOpen(at, at + size[i]), i);
            treeMap.put(at, i);
            at += size[i] + (rnd.nextInt(5) == 0 ? size[i] / 4 + 1 : 0); // some gaps: offsets in no function
        }
        rangeMap = b.build();
        queries = new long[QUERIES];
        for (int q = 0; q < QUERIES; q++) {
            queries[q] = rnd.nextLong(at);
        }
        if (floor() != rangeMap() || floor() != treeMapFloor()) {
            throw new AssertionError("the three lookups disagree");
        }
    }

    /** The project's lookup: the last start at or before the offset, then its size. */
    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public long floor() {
        long sum = 0;
        for (long q : queries) {
            int i = Floor.index(start, 0, start.length, q);
            sum += i >= 0 && q - start[i] < size[i] ? i : -1;
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public long rangeMap() {
        long sum = 0;
        for (long q : queries) {
            Integer i = rangeMap.get(q);
            sum += i == null ? -1 : i;
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public long treeMapFloor() {
        long sum = 0;
        for (long q : queries) {
            Map.Entry<Long, Integer> e = treeMap.floorEntry(q);
            sum += e != null && q - e.getKey() < size[e.getValue()] ? e.getValue() : -1;
        }
        return sum;
    }
}
