package patchsites.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;

/**
 * The inputs bench/run.sh prepares in one directory (system property {@code patchsites.bench.dir}):
 * {@code largest.ko} (the biggest corpus module), {@code combined.o} (every corpus module merged
 * with {@code ld -r -z muldefs}) and {@code many-sections.o} (a generated object with more than
 * 65,535 sections).
 */
final class BenchInputs {
    private BenchInputs() {}

    static Path path(String name) {
        String dir = System.getProperty("patchsites.bench.dir");
        if (dir == null) {
            throw new IllegalStateException("set -Dpatchsites.bench.dir (bench/run.sh does)");
        }
        Path p = Path.of(dir, name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("missing bench input " + p + " (run bench/run.sh)");
        }
        return p;
    }

    /**
     * Relocations applying to executable sections and their bytes: the scan's real work; and the
     * bytes of the executable sections themselves, what the decoding pass reads.
     */
    static long[] codeRelocations(Path file) throws IOException {
        try (Source src = Source.map(file)) {
            ElfFile elf = ElfFile.parse(src);
            long count = 0, bytes = 0, code = 0;
            for (int i = 1; i < elf.sectionCount(); i++) {
                int t = elf.sectionType(i);
                if (elf.isExecutable(i) && t != ElfFile.SHT_NOBITS) {
                    code += elf.sectionSize(i);
                }
                if ((t == ElfFile.SHT_RELA || t == ElfFile.SHT_REL) && elf.sectionInfo(i) > 0
                        && elf.isExecutable(elf.sectionInfo(i))) {
                    count += elf.relocations(i).count();
                    bytes += elf.sectionSize(i);
                }
            }
            return new long[] {count, bytes, code};
        }
    }
}
