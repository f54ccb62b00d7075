package patchsites.bench;

import java.io.IOException;
import java.nio.file.Files;
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
import org.openjdk.jmh.annotations.TearDown;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.AtomicFile;
import patchsites.collector.emit.ObjectRewriter;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;

/**
 * In-place {@code site-key} emission ({@code .static_call_sites}, __SCT__ → __SCK__): scan,
 * prepare and write the whole object through a temporary file renamed over it, as
 * {@code patchsites emit --in-place} does. Emitting into the same file again gives the same bytes,
 * so every iteration does the same work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class EmitBench {
    @Param({"largest.ko", "combined.o"})
    public String input;

    private Path work;
    private Scanner scanner;

    @Setup
    public void setup() throws IOException {
        Path src = BenchInputs.path(input);
        work = Files.createTempFile(src.getParent(), "emit-bench-", ".o");
        Files.copy(src, work, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        scanner = new Scanner(TargetMatcher.of(List.of("__SCT__*")), false);
        System.out.printf("%n[object] %s: %d bytes%n", input, Files.size(src));
    }

    @TearDown
    public void tearDown() throws IOException {
        Files.deleteIfExists(work);
    }

    @Benchmark
    public int emitInPlace() throws IOException {
        try (Source src = Source.map(work)) {
            ElfFile elf = ElfFile.parse(src);
            ObjectRewriter rw = new ObjectRewriter(elf);
            TableEmitter.Summary s = TableEmitter.prepare(rw, scanner.scan(elf).sites(), ".static_call_sites",
                    TableLayout.SITE_KEY, new TableEmitter.KeyRule("__SCT__", "__SCK__", true));
            AtomicFile.write(work, rw::write);
            return s.entries();
        }
    }
}
