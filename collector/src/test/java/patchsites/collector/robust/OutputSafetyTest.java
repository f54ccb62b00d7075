package patchsites.collector.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.emit.AtomicFile;
import patchsites.collector.fixtures.CliClassPath;
import patchsites.fixtures.Tools;

/**
 * The output rules of docs/robustness.md, one test per defect of issue 13 (the numbers below),
 * on real corpus modules and the real CLI in a child JVM: devices, FIFOs, symbolic and hard links,
 * read-only files, metadata, error lines that name the file that failed, stdout on a full disk,
 * partial batches, FIFOs as input, an input truncated under a running scan, and SIGTERM.
 * Needs root (CI runs as root): it makes device nodes and runs the CLI as {@code nobody}.
 */
class OutputSafetyTest {
    /** emit of a table that no module has: every run visibly changes its object. */
    private static final String[] EMIT = {"emit", "--target=__fentry__", "--section=.test_sites", "--layout=site"};

    @TempDir
    Path dir;

    private static Path module;
    private static Path big;

    @BeforeAll
    static void pickModules() throws IOException {
        assertEquals("0", Tools.ok(Path.of("/"), "id", "-u").strip(), "this test makes device nodes: run it as root");
        List<Path> all = Corpus.modules();
        // A small module for most tests, the largest one where a run must take a while.
        module = all.stream().filter(p -> size(p) > 150_000 && size(p) < 400_000).findFirst().orElseThrow();
        big = all.stream().max((a, b) -> Long.compare(size(a), size(b))).orElseThrow();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private Path copy(Path from, String name) throws IOException {
        return Files.copy(from, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static String[] args(String[] head, String... tail) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    /** Exactly one line on stderr: {@code patchsites: FILE: error: ...} naming {@code file}, with {@code fragment}. */
    private static void assertOneError(Tools.Result r, Object file, String fragment) {
        assertEquals(2, r.rc(), r::describe);
        String[] lines = r.err().split("\n", -1);
        assertEquals(2, lines.length, () -> "not exactly one line on stderr: " + r.describe());
        assertTrue(lines[0].startsWith("patchsites: " + file + ": error: "), () -> "does not name " + file + ": " + r.describe());
        assertTrue(lines[0].contains(fragment), () -> "no '" + fragment + "': " + r.describe());
    }

    private Tools.Result emitReference(String name) throws IOException {
        Path ref = copy(module, name);
        return Cli.run(dir, args(EMIT, "--in-place", ref.toString())).ok();
    }

    /** Item 1: a device is written through, never replaced; a full device is one error line, exit 2. */
    @Test
    void devicesAreWrittenThroughNeverReplaced() throws IOException {
        Path in = copy(module, "in.ko");
        String before = Cli.sha256(in);
        Path nul = dir.resolve("null"), full = dir.resolve("full");
        Tools.ok(dir, "mknod", nul.toString(), "c", "1", "3");
        Tools.ok(dir, "mknod", full.toString(), "c", "1", "7");
        Cli.run(dir, args(EMIT, "-o", nul.toString(), in.toString())).ok();
        assertEquals("character special file", Cli.stat(nul, "%F"));
        assertOneError(Cli.run(dir, args(EMIT, "-o", full.toString(), in.toString())), full, "No space left on device");
        assertEquals("character special file", Cli.stat(full, "%F"));
        Cli.run(dir, "stubs", "--alias=a=b", "--lds=" + nul).ok();
        assertOneError(Cli.run(dir, "stubs", "--alias=a=b", "--lds=" + full), full, "No space left on device");
        assertOneError(Cli.run(dir, "stubs", "--alias=a=b", "--asm=" + full, "--arch=x86_64"), full, "No space left");
        assertEquals("character special file", Cli.stat(nul, "%F"));
        assertEquals("character special file", Cli.stat(full, "%F"));
        assertEquals(before, Cli.sha256(in));
        // A FIFO with a reader gets exactly the bytes a regular -o file gets.
        Path regular = dir.resolve("regular.ko"), fifo = dir.resolve("fifo");
        Cli.run(dir, args(EMIT, "-o", regular.toString(), in.toString())).ok();
        Tools.ok(dir, "mkfifo", fifo.toString());
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> Tools.read(fifo));
        Cli.run(dir, args(EMIT, "-o", fifo.toString(), in.toString())).ok();
        assertTrue(java.util.Arrays.equals(Tools.read(regular), reader.join()), "what the FIFO's reader got");
        assertEquals("fifo", Cli.stat(fifo, "%F"));
    }

    /** Item 1, the machine's own /dev/null (the damage the issue reports), only with the fix in place. */
    @Test
    void devNullStaysACharacterDevice() throws IOException {
        Path in = copy(module, "in.ko");
        Cli.run(dir, args(EMIT, "-o", "/dev/null", in.toString())).ok();
        assertEquals("character special file", Cli.stat(Path.of("/dev/null"), "%F"));
        assertOneError(Cli.run(dir, args(EMIT, "-o", "/dev/full", in.toString())), "/dev/full", "No space left on device");
        assertEquals("character special file", Cli.stat(Path.of("/dev/full"), "%F"));
    }

    /** Item 1 for plan --apply: a linked program's patched copy to a device. */
    @Test
    void planApplyWritesThroughADevice() throws IOException {
        Path prog = Programs.linked(dir);
        Path full = dir.resolve("full");
        Tools.ok(dir, "mknod", full.toString(), "c", "1", "7");
        String[] plan = {"plan", "--section=.static_call_sites", "--layout=site-key", "--key=__SCT__f", "--to=g_impl"};
        Cli.run(dir, args(plan, "--apply=" + dir.resolve("copy"), prog.toString())).ok();
        assertOneError(Cli.run(dir, args(plan, "--apply=" + full, prog.toString())), full, "No space left on device");
        assertEquals("character special file", Cli.stat(full, "%F"));
        // Item 4: a missing directory is the output's fault, not the program's.
        Path nowhere = Path.of("/nonexistent/p");
        assertOneError(Cli.run(dir, args(plan, "--apply=" + nowhere, prog.toString())), nowhere, "cannot write");
    }

    /** Item 2: emit through a symbolic link writes its target (atomically) and keeps the link. */
    @Test
    void symbolicLinksAreWrittenThrough() throws IOException {
        emitReference("ref.ko");
        String expected = Cli.sha256(dir.resolve("ref.ko"));
        Path real = copy(module, "real.ko");
        Path link = Files.createSymbolicLink(dir.resolve("link.ko"), Path.of("real.ko"));
        Cli.run(dir, args(EMIT, "--in-place", link.toString())).ok();
        assertTrue(Files.isSymbolicLink(link), "the link was replaced by a file");
        assertEquals(expected, Cli.sha256(real), "the link's target has not got the table");
        // -o through a chain of links, the last one dangling: the file it names is created.
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path second = Files.createSymbolicLink(sub.resolve("second.ko"), Path.of("../made.ko"));
        Path first = Files.createSymbolicLink(dir.resolve("first.ko"), Path.of("sub/second.ko"));
        Cli.run(dir, args(EMIT, "-o", first.toString(), copy(module, "in.ko").toString())).ok();
        assertTrue(Files.isSymbolicLink(first) && Files.isSymbolicLink(second));
        assertEquals(expected, Cli.sha256(dir.resolve("made.ko")));
    }

    /** Item 3 (decision: keep the link, as objcopy does): every name of the file sees the new contents. */
    @Test
    void hardLinksAreKept() throws IOException {
        emitReference("ref.ko");
        String expected = Cli.sha256(dir.resolve("ref.ko"));
        Path a = copy(module, "a.ko");
        Path b = Files.createLink(dir.resolve("b.ko"), a);
        String inode = Cli.stat(a, "%i");
        Cli.run(dir, args(EMIT, "--in-place", a.toString())).ok();
        assertEquals("2", Cli.stat(a, "%h"), "link count after emit --in-place");
        assertEquals(inode, Cli.stat(b, "%i"));
        assertEquals(expected, Cli.sha256(b), "the other name has the old bytes");
        // -o onto an existing file with two names: written in place as well.
        Files.copy(module, a, StandardCopyOption.REPLACE_EXISTING);
        Cli.run(dir, args(EMIT, "-o", a.toString(), copy(module, "other.ko").toString())).ok();
        assertEquals(expected, Cli.sha256(b));
        assertEquals(Set.of(), temporaries(dir));
    }

    /** Item 4: an output that cannot be written is named, never the input. */
    @Test
    void outputErrorsNameTheOutput() throws IOException {
        Path in = copy(module, "e1.ko");
        Path nowhere = Path.of("/nonexistent/x.ko");
        assertOneError(Cli.run(dir, args(EMIT, "-o", nowhere.toString(), in.toString())), nowhere, "cannot write");
        Path isDir = Files.createDirectory(dir.resolve("adir"));
        assertOneError(Cli.run(dir, args(EMIT, "-o", isDir.toString(), in.toString())), isDir, "is a directory");
        assertOneError(Cli.run(dir, "stubs", "--alias=a=b", "--lds=" + nowhere), nowhere, "cannot write");
        // As a user who may not write the directory.
        Cli.openToAll(dir);
        Path ro = Files.createDirectory(dir.resolve("ro-dir"));
        Path out = ro.resolve("out.ko");
        assertOneError(Cli.runAsNobody(dir, args(EMIT, "-o", out.toString(), in.toString())), out,
                "cannot write (" + ro + "): Permission denied");
        // And a missing input is a read error of the input.
        Path missing = dir.resolve("missing.ko");
        assertOneError(Cli.run(dir, args(EMIT, "-o", dir.resolve("o.ko").toString(), missing.toString())), missing,
                "cannot read: No such file");
        assertEquals(Set.of(), temporaries(dir));
    }

    /** Item 5: stdout on a full disk is an error: one line, exit 2. */
    @Test
    void aFullStdoutIsAnError() throws IOException {
        Path in = copy(module, "in.ko");
        for (String[] cmd : List.of(new String[] {"scan", "--json", "--target=__fentry__", in.toString()},
                new String[] {"audit", "--json", "--section=__mcount_loc", "--layout=abs", in.toString()},
                new String[] {"scan", "--target=__fentry__", in.toString()})) {
            Tools.Result r = Tools.exec(new ProcessBuilder(Cli.command(cmd)).redirectOutput(new File("/dev/full")), 60);
            assertOneError(r, "standard output", "cannot write: No space left on device");
        }
    }

    /** Item 7 (decision: each object all or nothing, the others proceed; exit 2 if any failed). */
    @Test
    void aBatchWritesEveryGoodObjectAndExits2() throws IOException {
        emitReference("ref.ko");
        Path good = copy(module, "good.ko");
        Path text = Tools.write(dir, "text.txt", "not an object\n");
        Path missing = dir.resolve("missing.ko");
        Tools.Result r = Cli.run(dir, args(EMIT, "--in-place", missing.toString(), good.toString(), text.toString()));
        assertEquals(2, r.rc(), r::describe);
        List<String> lines = List.of(r.err().split("\n"));
        assertEquals(2, lines.size(), r::describe);
        assertTrue(lines.get(0).startsWith("patchsites: " + missing + ": error: "), r::describe);
        assertTrue(lines.get(1).startsWith("patchsites: " + text + ": error: "), r::describe);
        assertEquals(Cli.sha256(dir.resolve("ref.ko")), Cli.sha256(good), "the good object was not written");
        assertEquals("not an object\n", Files.readString(text));
    }

    /** Item 16: two emits of different tables on a 0444 file, as an unprivileged user: both tables survive. */
    @Test
    void concurrentEmitsOnAReadOnlyFileAsAUserSerialise() throws Exception {
        Cli.openToAll(dir);
        String[] a = {"emit", "--target=__fentry__", "--section=.test_a", "--layout=site", "--in-place"};
        String[] b = {"emit", "--target=__fentry__", "--section=.test_b", "--layout=site", "--in-place"};
        for (int round = 0; round < 4; round++) {
            Path shared = copy(big, "shared.ko");
            Tools.ok(dir, "chown", "nobody:nogroup", shared.toString());
            Tools.ok(dir, "chmod", "0444", shared.toString());
            Process pa = Cli.asNobody(dir, args(a, "shared.ko")).redirectErrorStream(true).start();
            Process pb = Cli.asNobody(dir, args(b, "shared.ko")).redirectErrorStream(true).start();
            String oa = new String(pa.getInputStream().readAllBytes()), ob = new String(pb.getInputStream().readAllBytes());
            assertTrue(pa.waitFor(120, TimeUnit.SECONDS) && pb.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, pa.exitValue(), oa);
            assertEquals(0, pb.exitValue(), ob);
            String sections = Tools.ok(dir, "readelf", "-SW", shared.toString());
            int round_ = round;
            assertTrue(sections.contains(".test_a") && sections.contains(".test_b"),
                    () -> "round " + round_ + ": a lost update, one table is missing");
            assertEquals("0444", Cli.stat(shared, "%04a"));
            assertEquals(Set.of(), temporaries(dir));
        }
    }

    /** Item 17: FIFOs as input are refused at once, and a FIFO named like a stale temporary does not hang emit. */
    @Test
    void fifosDoNotHang() throws IOException {
        Path fifo = dir.resolve("f.ko");
        Tools.ok(dir, "mkfifo", fifo.toString());
        assertOneError(Cli.run(dir, 30, "scan", "--target=__fentry__", fifo.toString()), fifo, "is a FIFO");
        assertOneError(Cli.run(dir, 30, "audit", "--section=__mcount_loc", "--layout=abs", fifo.toString()), fifo,
                "is a FIFO");
        assertOneError(Cli.run(dir, 30, args(EMIT, "--in-place", fifo.toString())), fifo, "is a FIFO");
        assertOneError(Cli.run(dir, 30, args(EMIT, "-o", dir.resolve("o.ko").toString(), fifo.toString())), fifo, "is a FIFO");
        // A thin archive whose member became a FIFO.
        Path member = copy(module, "member.ko");
        Tools.ok(dir, "ar", "rcT", "thin.a", "member.ko");
        Files.delete(member);
        Tools.ok(dir, "mkfifo", member.toString());
        Tools.Result thin = Cli.run(dir, 30, "scan", "--target=__fentry__", "thin.a");
        assertOneError(thin, "thin.a", "thin archive member member.ko is a FIFO, not an ordinary file");
        // A FIFO named like emit's temporary, old enough to count as stale.
        Path target = copy(module, "x.ko");
        Path trap = dir.resolve(".x.ko.123" + AtomicFile.TEMP_SUFFIX);
        Tools.ok(dir, "mkfifo", trap.toString());
        // (touch: Java's setLastModifiedTime opens the file, and a FIFO's open waits for a writer.)
        long old = (System.currentTimeMillis() - AtomicFile.STALE_AFTER_MILLIS) / 1000 - 5;
        Tools.ok(dir, "touch", "-m", "-d", "@" + old, trap.toString());
        Cli.run(dir, 30, args(EMIT, "--in-place", target.toString())).ok();
        assertEquals("fifo", Cli.stat(trap, "%F"), "not ours to remove");
    }

    /** Item 18: an input truncated while it is scanned or emitted: one line, exit 2 (never a stack trace). */
    @Test
    void anInputTruncatedUnderARunningScanIsOneLine() throws Exception {
        Path victim = dir.resolve("victim.ko");
        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) { // warm-up, and how long one warm run takes
            copy(big, "victim.ko");
            long t0 = System.nanoTime();
            assertEquals(0, inProcess("-q", "scan", "--target=__fentry__", victim.toString()).rc);
            fastest = Math.min(fastest, System.nanoTime() - t0);
        }
        long slowest = fastest;
        Random random = new Random(13);
        TreeMap<String, Integer> outcomes = new TreeMap<>();
        int faults = 0;
        for (int trial = 0; trial < 60 && (faults < 2 || trial < 12); trial++) {
            copy(big, "victim.ko");
            boolean emit = trial % 2 == 1;
            long delay = (long) (random.nextDouble() * slowest * 0.8);
            CompletableFuture<Void> cut = CompletableFuture.runAsync(() -> {
                long until = System.nanoTime() + delay;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                try (FileChannel ch = FileChannel.open(victim, StandardOpenOption.WRITE)) {
                    ch.truncate(4096);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Run r = emit ? inProcess(args(QUIET_EMIT, "-o", dir.resolve("out.ko").toString(), victim.toString()))
                    : inProcess("-q", "scan", "--target=__fentry__", victim.toString());
            cut.join();
            String[] lines = r.err.isEmpty() ? new String[0] : r.err.split("\n");
            assertTrue(r.rc == 0 && lines.length == 0 || r.rc == 2 && lines.length == 1, r::toString);
            if (r.rc == 2) {
                assertTrue(lines[0].startsWith("patchsites: " + victim + ": error: "), r::toString);
                assertFalse(lines[0].contains("please report") || lines[0].contains("Error"), r::toString);
                String kind = lines[0].contains("changed while it was being read") ? "mapping fault"
                        : lines[0].contains("shrank") ? "short copy" : "caught by a size check";
                faults += kind.equals("caught by a size check") ? 0 : 1;
                outcomes.merge((emit ? "emit: " : "scan: ") + kind, 1, Integer::sum);
            } else {
                outcomes.merge((emit ? "emit: " : "scan: ") + "finished first", 1, Integer::sum);
            }
        }
        System.out.println("truncation under a running scan/emit: " + outcomes);
        assertTrue(faults > 0, "no trial truncated the file while its mapping was being read: " + outcomes);
    }

    private static final String[] QUIET_EMIT = args(new String[] {"-q"}, EMIT);

    private record Run(int rc, String out, String err) {}

    private static Run inProcess(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(rc, out.toString(), err.toString());
    }

    /** Item 19: SIGTERM removes the temporary (here: the whole output waiting for a FIFO's reader). */
    @Test
    void sigtermRemovesTheTemporary() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path fifo = dir.resolve("out.fifo");
        Tools.ok(dir, "mkfifo", fifo.toString());
        Path in = copy(module, "in.ko");
        Process p = new ProcessBuilder(Cli.command(CliClassPath.current(), List.of("-Djava.io.tmpdir=" + tmp),
                args(EMIT, "-o", fifo.toString(), in.toString()))).redirectErrorStream(true).start();
        // Written and forced, blocked in the open of the FIFO: the temporary is complete and stays the same.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long lastSize = -1;
        int stable = 0;
        while (stable < 5 && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(100);
            try (Stream<Path> s = Files.list(tmp)) {
                long size = s.mapToLong(OutputSafetyTest::size).sum();
                stable = size > 0 && size == lastSize ? stable + 1 : 0;
                lastSize = size;
            }
        }
        assertTrue(p.isAlive() && stable >= 5, () -> "emit did not wait for the FIFO's reader with its output written: "
                + new String(readAll(p)));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList(), "temporaries left after SIGTERM");
        }
        assertEquals("fifo", Cli.stat(fifo, "%F"));
    }

    /** Item 19, in place: SIGTERM while the temporary next to the object is written leaves no temporary. */
    @Test
    void sigtermDuringAnInPlaceEmitLeavesNoTemporary() throws Exception {
        Path ref = copy(big, "ref.ko");
        Cli.run(dir, 120, args(EMIT, "--in-place", ref.toString())).ok();
        String after = Cli.sha256(ref);
        Path victim = copy(big, "victim.ko");
        String before = Cli.sha256(victim);
        int hit = 0;
        for (int trial = 0; trial < 8 && hit < 2; trial++) {
            copy(big, "victim.ko");
            Process p = new ProcessBuilder(Cli.command(args(EMIT, "--in-place", victim.toString())))
                    .redirectErrorStream(true).start();
            boolean seen = false;
            while (p.isAlive() && !seen) {
                seen = temporaries(dir).stream().anyMatch(n -> n.endsWith(AtomicFile.TEMP_SUFFIX));
                Thread.sleep(0, 200_000);
            }
            if (seen && p.isAlive()) {
                p.destroy(); // SIGTERM
                hit++;
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(Set.of(), temporaries(dir), "a temporary left after SIGTERM");
            String got = Cli.sha256(victim);
            assertTrue(got.equals(before) || got.equals(after), "neither the original nor the output");
        }
        assertTrue(hit > 0, "no run was signalled while its temporary existed");
    }

    /** Item 20 (decision: keep mode, owner and group; set-ID bits only with the owner; new mtime). */
    @Test
    void modeOwnerAndGroupAreKept() throws IOException {
        Path f = copy(module, "nobody.ko");
        Tools.ok(dir, "chown", "nobody:nogroup", f.toString());
        Tools.ok(dir, "chmod", "0640", f.toString());
        Files.setLastModifiedTime(f, FileTime.fromMillis(1_000_000_000_000L));
        String inode = Cli.stat(f, "%i");
        Cli.run(dir, args(EMIT, "--in-place", f.toString())).ok();
        assertNotEquals(inode, Cli.stat(f, "%i"), "(renamed into place)");
        assertEquals("nobody:nogroup 0640", Cli.stat(f, "%U:%G %04a"));
        assertTrue(Files.getLastModifiedTime(f).toMillis() > 1_000_000_000_000L, "make must see the object changed");
        Path suid = copy(module, "suid.ko");
        Tools.ok(dir, "chmod", "4755", suid.toString());
        Cli.run(dir, args(EMIT, "--in-place", suid.toString())).ok();
        assertEquals("root:root 4755", Cli.stat(suid, "%U:%G %04a"));
        // A new file: the input's permission bits, no set-ID bits, owned by whoever ran emit.
        Path out = dir.resolve("new.ko");
        Cli.run(dir, args(EMIT, "-o", out.toString(), suid.toString())).ok();
        assertEquals("root:root 0755", Cli.stat(out, "%U:%G %04a"));
        // A user who may not chown: the file becomes theirs, without its set-ID bit (objcopy's rule).
        Cli.openToAll(dir);
        Path other = copy(module, "other.ko");
        Tools.ok(dir, "chmod", "4755", other.toString());
        Cli.runAsNobody(dir, args(EMIT, "--in-place", other.toString())).ok();
        assertEquals("nobody:nogroup 0755", Cli.stat(other, "%U:%G %04a"));
    }

    private static byte[] readAll(Process p) {
        try {
            p.destroyForcibly();
            return p.getInputStream().readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    static Set<String> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(AtomicFile.TEMP_SUFFIX) || n.endsWith(".patchsites-lock"))
                    .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }
}
