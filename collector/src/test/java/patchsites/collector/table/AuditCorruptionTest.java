package patchsites.collector.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.AtomicFile;
import patchsites.collector.emit.ObjectRewriter;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;

/**
 * A correct kernel table audits clean; corrupting one entry of it — flipping its tail flag,
 * pointing its site one byte off, dropping it — makes audit exit 1 and name that entry or site.
 */
class AuditCorruptionTest {
    private static final String[] AUDIT = {"audit", "--section=.static_call_sites", "--layout=site-key",
        "--key-prefix=__SCT__=__SCK__"};

    @TempDir
    Path tmp;
    Path ko;

    @BeforeEach
    void copyKvm() throws Exception {
        Path kvm = Corpus.modules().stream().filter(p -> p.endsWith("arch/x86/kvm/kvm.ko")).findFirst().orElseThrow();
        ko = tmp.resolve("kvm.ko");
        Files.copy(kvm, ko);
    }

    @Test
    void theKernelsTableIsConsistent() {
        Result r = audit(ko);
        assertEquals(0, r.rc, r.out + r.err);
        assertTrue(r.out.contains("0 invalid, 0 missing, 0 extra, 0 duplicates"), r.out);
    }

    @Test
    void flippedTailFlagIsNamed() throws Exception {
        int entry = 7;
        patchAddend(ko, entry * 8L + 4, a -> a ^ 1);
        Result r = audit(ko);
        assertEquals(1, r.rc, r.out + r.err);
        assertTrue(r.out.contains("entry " + entry + " ") && r.out.contains("invalid"), r.out);
        assertTrue(r.out.contains("1 invalid, 0 missing, 0 extra, 0 duplicates"), r.out);
    }

    @Test
    void siteOneByteOffIsNamedAndTheRealSiteIsMissing() throws Exception {
        int entry = 11;
        long[] original = new long[1];
        patchAddend(ko, entry * 8L, a -> {
            original[0] = a;
            return a + 1;
        });
        Result r = audit(ko);
        assertEquals(1, r.rc, r.out + r.err);
        assertTrue(r.out.contains("entry " + entry + " .text+0x" + Long.toHexString(original[0] + 1)), r.out);
        assertTrue(r.out.contains("missing: .text+0x" + Long.toHexString(original[0]) + " "), r.out);
        assertTrue(r.out.contains("1 invalid, 1 missing, 1 extra, 0 duplicates"), r.out);
    }

    @Test
    void droppedEntryIsReportedMissing() throws Exception {
        CallSite dropped;
        try (Source src = Source.map(ko)) {
            ElfFile elf = ElfFile.parse(src);
            List<CallSite> sites = new ArrayList<>(new Scanner(TargetMatcher.of(List.of("__SCT__*")), false).scan(elf).sites());
            dropped = sites.remove(100);
            ObjectRewriter rw = new ObjectRewriter(elf);
            TableEmitter.prepare(rw, sites, ".static_call_sites", TableLayout.SITE_KEY,
                    new TableEmitter.KeyRule("__SCT__", "__SCK__", true));
            AtomicFile.write(ko, rw::write);
        }
        Result r = audit(ko);
        assertEquals(1, r.rc, r.out + r.err);
        assertTrue(r.out.contains("missing: " + dropped.section() + "+0x" + Long.toHexString(dropped.offset()) + " "
                + dropped.kind().label() + " " + dropped.target()), r.out);
        assertTrue(r.out.contains("0 invalid, 1 missing, 0 extra, 0 duplicates"), r.out);
    }

    @Test
    void duplicateEntryIsNamed() throws Exception {
        // Entry 3's site becomes entry 2's (same key and kind are not needed for a duplicate).
        long[] second = new long[1];
        readAddend(ko, 2 * 8L, second);
        patchAddend(ko, 3 * 8L, a -> second[0]);
        Result r = audit(ko);
        assertEquals(1, r.rc, r.out + r.err);
        assertTrue(r.out.contains("duplicate of entry 2"), r.out);
    }

    private record Result(int rc, String out, String err) {}

    private static Result audit(Path file) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        String[] args = java.util.Arrays.copyOf(AUDIT, AUDIT.length + 1);
        args[AUDIT.length] = file.toString();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(rc, out.toString(), err.toString());
    }

    /** Rewrites the addend of the RELA entry of .rela.static_call_sites at table offset {@code at}. */
    private static void patchAddend(Path file, long at, java.util.function.LongUnaryOperator f) throws Exception {
        long pos = addendPosition(file, at);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, pos);
            long v = f.applyAsLong(b.getLong(0));
            b.clear();
            b.putLong(0, v);
            ch.write(b, pos);
        }
    }

    private static void readAddend(Path file, long at, long[] out) throws Exception {
        patchAddend(file, at, a -> {
            out[0] = a;
            return a;
        });
    }

    private static long addendPosition(Path file, long at) throws Exception {
        try (Source src = Source.map(file)) {
            ElfFile elf = ElfFile.parse(src);
            for (int i = 1; i < elf.sectionCount(); i++) {
                if (elf.sectionName(i).equals(".rela.static_call_sites")) {
                    ByteBuffer d = elf.data(i);
                    for (int off = 0; off < d.limit(); off += 24) {
                        if (d.getLong(off) == at) {
                            return elf.sectionOffset(i) + off + 16;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no relocation at table offset " + at);
    }
}
