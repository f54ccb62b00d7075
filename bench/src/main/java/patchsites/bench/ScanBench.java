package patchsites.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;

/**
 * Map, parse and scan one object for {@code __SCT__*} sites. Throughput per input is the
 * relocations on code divided by the time per operation; bench/run.sh prints both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ScanBench {
    @Param({"largest.ko", "combined.o", "many-sections.o"})
    public String input;

    /**
     * The static-call glob, or a name no object has: with no site found the scan makes no object
     * at all, so its allocation under -prof gc is the fixed cost per file (bench/run.sh).
     */
    @Param({"__SCT__*"})
    public String target;

    /**
     * LOCAL_TARGETS is the scan as run by default (none of these inputs defines a target, so
     * nothing is decoded); ALL_CALLS decodes every executable section as well (scan --all-calls):
     * the difference over the MB of code printed by setup is the decoding's cost per MB of text.
     */
    @Param({"LOCAL_TARGETS"})
    public String decoding;

    private Path file;
    private Scanner scanner;

    @Setup
    public void setup() throws IOException {
        file = BenchInputs.path(input);
        scanner = new Scanner(TargetMatcher.of(List.of(target)), false, Scanner.Decoding.valueOf(decoding));
        long[] r = BenchInputs.codeRelocations(file);
        System.out.printf("%n[input] %s: %d relocations on code, %d bytes of them; %d bytes of code%n", input, r[0],
                r[1], r[2]);
        System.out.printf("[sites] %s %s: %d%n", input, target, scan());
    }

    @Benchmark
    public int scan() throws IOException {
        try (Source src = Source.map(file)) {
            return scanner.scan(ElfFile.parse(src)).sites().size();
        }
    }
}
