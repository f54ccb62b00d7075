package patchsites.collector.elf;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.fornwall.jelf.ElfRelocation;
import net.fornwall.jelf.ElfRelocationAddend;
import net.fornwall.jelf.ElfRelocationAddendSection;
import net.fornwall.jelf.ElfRelocationSection;
import net.fornwall.jelf.ElfSection;
import net.fornwall.jelf.ElfSectionHeader;
import net.fornwall.jelf.ElfStringTable;
import net.fornwall.jelf.ElfSymbol;
import net.fornwall.jelf.ElfSymbolTableSection;

/**
 * Measures our reader against jelf 0.9.0 on the kernel-module corpus (numbers in docs/design.md,
 * "ELF reading: jelf measured"). Not a test: it asserts nothing about time, and surefire does not
 * pick it up. Run it, single-threaded, with
 *
 * <pre>
 * mvn -q -o -DskipTests package
 * mvn -q -o dependency:build-classpath -pl collector -am -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -cp collector/target/test-classes:collector/target/classes:$(cat /tmp/cp.txt) \
 *     patchsites.collector.elf.ReaderMeasurement [CORPUS_ROOT] [PASSES]
 * </pre>
 *
 * CORPUS_ROOT defaults to $PATCHSITES_CORPUS, else ~/.cache/patchsites/corpus; PASSES (timed
 * passes over the corpus per reader, after one warm-up pass) defaults to 3.
 *
 * <p>Every reader does the same work per file: every section header field and name; every symbol's
 * name (as a String), value, size, info, other and shndx; every relocation's offset, type, symbol
 * and addend. All fold into a checksum, which must agree between readers (so the work is neither
 * skipped nor different). Then it builds objects with 20,000 and 70,000 code sections
 * (40,008 and 140,008 section headers) and reports
 * whether each reader reads them.
 */
public final class ReaderMeasurement {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    interface Reader {
        long read(Path file) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        String env = System.getenv("PATCHSITES_CORPUS");
        Path root = args.length > 0 ? Path.of(args[0])
                : env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "patchsites", "corpus");
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Path> modules;
        try (Stream<Path> walk = Files.walk(root.resolve("modules"))) {
            modules = walk.filter(p -> p.toString().endsWith(".ko")).sorted().collect(Collectors.toList());
        }
        Path amdgpu = modules.stream().filter(p -> p.getFileName().toString().equals("amdgpu.ko")).findFirst()
                .orElseThrow();
        long bytes = 0;
        for (Path p : modules) {
            bytes += Files.size(p);
        }
        System.out.printf(Locale.ROOT, "corpus %s: %d modules, %.1f MiB; amdgpu.ko %.1f MiB%n", root, modules.size(),
                bytes / 1048576.0, Files.size(amdgpu) / 1048576.0);
        System.out.printf(Locale.ROOT, "java %s, %s, %d processors, max heap %d MiB, single-threaded%n",
                System.getProperty("java.vm.version"), gcNames(), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);

        Object[][] readers = {
            {"ours (mapped, in place)", (Reader) ReaderMeasurement::ours},
            {"ours, names not decoded", (Reader) ReaderMeasurement::oursNoNames},
            {"jelf from(File)", (Reader) f -> jelf(net.fornwall.jelf.ElfFile.from(f.toFile()))},
            {"jelf from(MappedByteBuffer)", (Reader) ReaderMeasurement::jelfMapped},
        };
        long expected = 0;
        for (Object[] r : readers) {
            String name = (String) r[0];
            Reader reader = (Reader) r[1];
            System.out.println();
            System.out.println("== " + name);
            long sum = corpusPass(modules, reader, null); // warm-up
            if (expected == 0) {
                expected = sum;
            } else if (name.contains("names not decoded")) {
                // different checksum by design
            } else if (sum != expected) {
                throw new AssertionError(name + ": checksum " + sum + " differs from " + expected);
            }
            long[] times = new long[passes];
            long[] alloc = new long[modules.size()];
            long gcBefore = gcCount(), gcTimeBefore = gcTime();
            for (int i = 0; i < passes; i++) {
                long t0 = System.nanoTime();
                corpusPass(modules, reader, i == 0 ? alloc : null);
                times[i] = System.nanoTime() - t0;
            }
            long gcs = gcCount() - gcBefore, gcMs = gcTime() - gcTimeBefore;
            Arrays.sort(times);
            System.out.printf(Locale.ROOT, "all %d modules: min %.0f ms, median %.0f ms over %d passes (%d GCs, %d ms GC)%n",
                    modules.size(), times[0] / 1e6, times[passes / 2] / 1e6, passes, gcs, gcMs);
            int amd = modules.indexOf(amdgpu);
            long[] sorted = alloc.clone();
            Arrays.sort(sorted);
            int max = 0;
            for (int i = 1; i < alloc.length; i++) {
                max = alloc[i] > alloc[max] ? i : max;
            }
            System.out.printf(Locale.ROOT, "allocated per file: total %s, mean %s, median %s, p99 %s, max %s (%s)%n",
                    size(Arrays.stream(alloc).sum()), size(Arrays.stream(alloc).sum() / alloc.length),
                    size(sorted[sorted.length / 2]), size(sorted[(int) (sorted.length * 0.99)]), size(alloc[max]),
                    root.resolve("modules").relativize(modules.get(max)));
            long[] amdTimes = new long[10];
            long amdAlloc = 0;
            for (int i = 0; i < amdTimes.length; i++) {
                long a0 = THREADS.getCurrentThreadAllocatedBytes(), t0 = System.nanoTime();
                reader.read(amdgpu);
                amdTimes[i] = System.nanoTime() - t0;
                amdAlloc = THREADS.getCurrentThreadAllocatedBytes() - a0;
            }
            Arrays.sort(amdTimes);
            System.out.printf(Locale.ROOT, "amdgpu.ko alone: min %.1f ms, median %.1f ms (10 runs), allocated %s"
                    + " (corpus pass: %s)%n", amdTimes[0] / 1e6, amdTimes[5] / 1e6, size(amdAlloc), size(alloc[amd]));
        }

        System.out.println();
        System.out.println("== objects with many sections");
        Path dir = Files.createTempDirectory("patchsites-measure");
        for (int n : new int[] {20_000, 70_000}) { // 2n + 8 section headers: 40,008 fits e_shnum, 140,008 does not
            Path o = manySections(dir, n);
            String hdr = run(dir, "readelf", "-h", o.toString()).lines()
                    .filter(l -> l.contains("Number of section headers") || l.contains("string table index"))
                    .map(String::strip).collect(Collectors.joining("; "));
            System.out.printf(Locale.ROOT, "%d x '.section .text.fN' + 'call ext' (%s, %d bytes): readelf: %s%n", n,
                    o.getFileName(), Files.size(o), hdr);
            try (Source src = Source.map(o)) {
                ElfFile e = ElfFile.parse(src);
                System.out.printf(Locale.ROOT, "  ours: %d sections, %d relocations against ext%n", e.sectionCount(),
                        relocationsAgainst(e, "ext"));
            } catch (RuntimeException ex) {
                System.out.println("  ours: FAILS: " + ex);
            }
            for (Object[] r : readers) {
                if (((String) r[0]).startsWith("jelf")) {
                    try {
                        ((Reader) r[1]).read(o);
                        System.out.println("  " + r[0] + ": reads it");
                    } catch (Throwable ex) {
                        StackTraceElement[] st = ex.getStackTrace();
                        System.out.println("  " + r[0] + ": FAILS: " + ex + (st.length > 0 ? " at " + st[0] : ""));
                    }
                }
            }
            Files.delete(o);
        }
        Files.delete(dir);
    }

    private static long corpusPass(List<Path> modules, Reader reader, long[] alloc) throws Exception {
        long sum = 0;
        for (int i = 0; i < modules.size(); i++) {
            long a0 = alloc == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
            sum += reader.read(modules.get(i));
            if (alloc != null) {
                alloc[i] = THREADS.getCurrentThreadAllocatedBytes() - a0;
            }
        }
        return sum;
    }

    // ---------------------------------------------------------------- the readers

    static long ours(Path file) throws IOException {
        return ours(file, true);
    }

    static long oursNoNames(Path file) throws IOException {
        return ours(file, false);
    }

    private static long ours(Path file, boolean names) throws IOException {
        try (Source src = Source.map(file)) {
            ElfFile e = ElfFile.parse(src);
            long h = 0;
            int n = e.sectionCount();
            for (int i = 0; i < n; i++) {
                h = mix(h, e.sectionName(i).hashCode());
                h = mix(h, e.sectionType(i));
                h = mix(h, e.sectionFlags(i));
                h = mix(h, e.sectionAddress(i));
                h = mix(h, e.sectionOffset(i));
                h = mix(h, e.sectionSize(i));
                h = mix(h, e.sectionLink(i));
                h = mix(h, e.sectionInfo(i));
                h = mix(h, e.sectionAlign(i));
                h = mix(h, e.sectionEntrySize(i));
            }
            for (int i = 0; i < n; i++) {
                int t = e.sectionType(i);
                if (t == ElfFile.SHT_SYMTAB || t == ElfFile.SHT_DYNSYM) {
                    SymbolTable st = e.symbolTable(i);
                    for (int k = 0, c = st.count(); k < c; k++) {
                        h = mix(h, names ? st.name(k).hashCode() : st.names().length(st.nameOffset(k)));
                        h = mix(h, st.value(k));
                        h = mix(h, st.size(k));
                        h = mix(h, st.info(k));
                        h = mix(h, st.other(k));
                        h = mix(h, st.rawSectionIndex(k));
                    }
                } else if (t == ElfFile.SHT_RELA || t == ElfFile.SHT_REL) {
                    Relocations r = e.relocations(i);
                    for (int k = 0, c = r.count(); k < c; k++) {
                        h = mix(h, r.offset(k));
                        h = mix(h, r.type(k));
                        h = mix(h, r.symbol(k));
                        h = mix(h, r.addend(k));
                    }
                }
            }
            return h;
        }
    }

    static long jelfMapped(Path file) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            return jelf(net.fornwall.jelf.ElfFile.from(m));
        }
    }

    /** The same work through jelf's API (normalising its sign-extended ELF32 words and short fields). */
    static long jelf(net.fornwall.jelf.ElfFile j) throws Exception {
        boolean is64 = j.ei_class == net.fornwall.jelf.ElfFile.CLASS_64;
        long word = is64 ? -1L : 0xffffffffL;
        int n = j.e_shnum & 0xffff;
        long h = 0;
        for (int i = 0; i < n; i++) {
            ElfSectionHeader s = j.getSection(i).header;
            String name = s.getName();
            h = mix(h, (name == null ? "" : name).hashCode());
            h = mix(h, s.sh_type);
            h = mix(h, s.sh_flags & word);
            h = mix(h, s.sh_addr & word);
            h = mix(h, s.sh_offset & word);
            h = mix(h, s.sh_size & word);
            h = mix(h, s.sh_link);
            h = mix(h, s.sh_info);
            h = mix(h, s.sh_addralign & word);
            h = mix(h, s.sh_entsize & word);
        }
        for (int i = 0; i < n; i++) {
            ElfSection s = j.getSection(i);
            if (s instanceof ElfSymbolTableSection) {
                ElfStringTable names = (ElfStringTable) j.getSection(s.header.sh_link);
                for (ElfSymbol y : ((ElfSymbolTableSection) s).symbols) {
                    h = mix(h, names.get(y.st_name).hashCode());
                    h = mix(h, y.st_value & word);
                    h = mix(h, y.st_size & word);
                    h = mix(h, y.st_info);
                    h = mix(h, y.st_other);
                    h = mix(h, y.st_shndx & 0xffff);
                }
            } else if (s instanceof ElfRelocationAddendSection) {
                for (ElfRelocationAddend r : ((ElfRelocationAddendSection) s).relocations) {
                    h = mix(h, r.r_offset & word);
                    h = mix(h, (int) r.getType());
                    h = mix(h, is64 ? r.getSymbolIndex() : r.getSymbolIndex() & 0xffffff);
                    h = mix(h, r.r_addend);
                }
            } else if (s instanceof ElfRelocationSection) {
                for (ElfRelocation r : ((ElfRelocationSection) s).relocations) {
                    h = mix(h, r.r_offset & word);
                    h = mix(h, (int) r.getType());
                    h = mix(h, is64 ? r.getSymbolIndex() : r.getSymbolIndex() & 0xffffff);
                    h = mix(h, 0);
                }
            }
        }
        return h;
    }

    private static long mix(long h, long v) {
        return (h ^ v) * 0x9e3779b97f4a7c15L + 1;
    }

    // ---------------------------------------------------------------- many sections

    private static Path manySections(Path dir, int n) throws IOException, InterruptedException {
        Path s = dir.resolve("many" + n + ".s"), o = dir.resolve("many" + n + ".o");
        StringBuilder asm = new StringBuilder(n * 64);
        for (int i = 0; i < n; i++) {
            asm.append("\t.section .text.f").append(i).append(",\"ax\",@progbits\n\tcall ext\n");
        }
        Files.writeString(s, asm);
        String out = run(dir, "as", "--64", "-o", o.toString(), s.toString());
        Files.delete(s);
        if (!Files.exists(o)) {
            throw new IOException("as failed: " + out);
        }
        return o;
    }

    private static int relocationsAgainst(ElfFile e, String symbol) {
        int count = 0;
        for (int i = 1; i < e.sectionCount(); i++) {
            if (e.sectionType(i) == ElfFile.SHT_RELA) {
                Relocations r = e.relocations(i);
                SymbolTable st = e.symbolTable(e.sectionLink(i));
                for (int k = 0; k < r.count(); k++) {
                    count += st.name(r.symbol(k)).equals(symbol) ? 1 : 0;
                }
            }
        }
        return count;
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    // ---------------------------------------------------------------- reporting

    private static String size(long b) {
        return b >= 10L << 20 ? String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0)
                : b >= 10L << 10 ? String.format(Locale.ROOT, "%.1f KiB", b / 1024.0) : b + " B";
    }

    private static long gcCount() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount)
                .sum();
    }

    private static long gcTime() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime)
                .sum();
    }

    private static String gcNames() {
        List<String> names = new ArrayList<>();
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            names.add(b.getName());
        }
        return String.join("/", names);
    }
}
