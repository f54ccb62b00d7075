package patchsites.collector.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.AtomicFile;

/**
 * {@code emit --in-place} in a child JVM, killed with SIGKILL at random moments: the object is
 * afterwards always byte for byte the original or the complete new output (by SHA-256 against a
 * reference run), a killed run's temporary does not disturb the next run and is removed once
 * stale, and two emits started together on one file serialise: both tables end up in it.
 */
class CrashSafetyTest {
    /** Kills per run of the test (the brief: at least 30). */
    private static final int KILLS = 40;

    private static final String[] MCOUNT = {"--target=__fentry__", "--section=__mcount_loc", "--layout=abs"};
    private static final String[] STATIC_CALLS = {"--target=__SCT__*", "--section=.static_call_sites",
        "--layout=site-key", "--key-prefix=__SCT__=__SCK__"};

    @TempDir
    Path dir;

    private Path original;

    /** The largest module of the corpus (amdgpu.ko, 19 MB): the write takes long enough to be hit. */
    @BeforeEach
    void pickModule() throws IOException {
        Path biggest = null;
        for (Path p : Corpus.modules()) {
            String n = p.getFileName().toString();
            if (n.equals("amdgpu.ko") || (biggest == null && n.equals("i915.ko"))) {
                biggest = p;
            }
        }
        if (biggest == null) {
            biggest = Corpus.modules().stream().max((a, b) -> Long.compare(size(a), size(b))).orElseThrow();
        }
        // Without the two tables, so that each run visibly adds one (and a lost update shows).
        original = dir.resolve("original.ko");
        patchsites.fixtures.Tools.ok(dir, "objcopy", "--remove-section=__mcount_loc",
                "--remove-section=.rela__mcount_loc", "--remove-section=.static_call_sites",
                "--remove-section=.rela.static_call_sites", biggest.toString(), original.toString());
        assertEquals(List.of(), tables(original));
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    void aKilledInPlaceEmitLeavesTheOriginalOrTheCompleteOutput() throws Exception {
        String before = Cli.sha256(original);
        // The reference: what a run that is not killed writes; how long a run takes, and how long
        // its write phase (from the temporary's creation to the end) — the fastest of 3 runs.
        Path reference = dir.resolve("reference.ko");
        long runMillis = Long.MAX_VALUE, writeMillis = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            Files.copy(original, reference, StandardCopyOption.REPLACE_EXISTING);
            long t0 = System.nanoTime();
            Process ref = emit(reference, MCOUNT);
            long created = awaitTemporary(ref, Set.of());
            assertEquals(0, ref.waitFor(), () -> "reference run: " + stderr(ref));
            long end = System.nanoTime();
            runMillis = Math.min(runMillis, (end - t0) / 1_000_000);
            if (created > 0) {
                writeMillis = Math.min(writeMillis, Math.max(1, (end - created) / 1_000_000));
            }
        }
        assertTrue(writeMillis < Long.MAX_VALUE, "the reference runs never showed a temporary file");
        String after = Cli.sha256(reference);
        assertNotEquals(before, after, "the reference run changed nothing: the test could not tell the two apart");
        assertEquals(Set.of(), temporaries(), "a normal run leaves no temporary file");

        Random random = new Random(Long.getLong("patchsites.crash.seed", System.nanoTime()));
        Path victim = dir.resolve("victim.ko");
        TreeMap<String, Integer> outcomes = new TreeMap<>();
        for (int k = 0; k < KILLS; k++) {
            Files.copy(original, victim, StandardCopyOption.REPLACE_EXISTING);
            Set<String> tempsBefore = temporaries();
            Process p = emit(victim, MCOUNT);
            long at;
            if (k % 3 == 0) {
                // Anywhere in the run: start-up, reading, scanning, writing, renaming.
                at = random.nextInt((int) runMillis + 1);
                p.waitFor(at, TimeUnit.MILLISECONDS);
            } else {
                // In the write phase: once the temporary exists, after a random part of the time it takes.
                awaitTemporary(p, tempsBefore);
                at = random.nextInt((int) (writeMillis * 5 / 4) + 1);
                p.waitFor(at, TimeUnit.MILLISECONDS);
            }
            boolean finished = !p.isAlive();
            p.destroyForcibly();
            p.waitFor();
            String got = Cli.sha256(victim);
            boolean leftTemp = !temporaries().equals(tempsBefore);
            assertTrue(got.equals(before) || got.equals(after), "after a kill (" + (k % 3 == 0 ? "" : "write phase + ")
                    + at + " ms) the object is neither the original nor the complete output (sha256 " + got + ")");
            String outcome = finished ? "finished before the kill" : got.equals(after) ? "killed after the rename"
                    : leftTemp ? "killed while writing the temporary" : "killed before writing";
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.printf("crash safety: %d kills of emit --in-place on %s (%d ms a run, %d ms writing): %s%n", KILLS,
                original.getFileName(), runMillis, writeMillis, outcomes);

        // A normal run after the kills: stale temporaries of killed runs do not disturb it...
        Files.copy(original, victim, StandardCopyOption.REPLACE_EXISTING);
        Set<String> stale = temporaries();
        Process normal = emit(victim, MCOUNT);
        assertEquals(0, normal.waitFor(), () -> stderr(normal));
        assertEquals(after, Cli.sha256(victim));
        assertEquals(stale, temporaries(), "fresh temporaries (a writer may still hold them) are left alone");
        // ...and once they are old, the next write of that file removes them.
        for (String name : stale) {
            Files.setLastModifiedTime(dir.resolve(name),
                    FileTime.fromMillis(System.currentTimeMillis() - AtomicFile.STALE_AFTER_MILLIS - 1000));
        }
        Files.copy(original, victim, StandardCopyOption.REPLACE_EXISTING);
        Process cleaning = emit(victim, MCOUNT);
        assertEquals(0, cleaning.waitFor(), () -> stderr(cleaning));
        assertEquals(after, Cli.sha256(victim));
        assertEquals(Set.of(), temporaries(), "stale temporaries of killed runs are removed");
    }

    @Test
    void twoEmitsOnOneFileSerialise() throws Exception {
        // Sequential references: mcount then static calls, and the other way round.
        Path ab = Files.copy(original, dir.resolve("ab.ko")), ba = Files.copy(original, dir.resolve("ba.ko"));
        run(ab, MCOUNT);
        run(ab, STATIC_CALLS);
        run(ba, STATIC_CALLS);
        run(ba, MCOUNT);
        Set<String> expected = Set.of(Cli.sha256(ab), Cli.sha256(ba));
        Path shared = dir.resolve("shared.ko");
        for (int round = 0; round < 3; round++) {
            Files.copy(original, shared, StandardCopyOption.REPLACE_EXISTING);
            // Without the lock both read the original and the second rename drops the first one's table.
            Process a = emit(shared, MCOUNT), b = emit(shared, STATIC_CALLS);
            assertEquals(0, a.waitFor(), () -> stderr(a));
            assertEquals(0, b.waitFor(), () -> stderr(b));
            assertTrue(expected.contains(Cli.sha256(shared)), "round " + round + ": two concurrent emits did not serialise;"
                    + " tables in the result: " + tables(shared));
            assertEquals(Set.of(), temporaries());
        }
    }

    /**
     * Polls until a temporary file not in {@code known} appears in the directory or {@code p} ends;
     * returns System.nanoTime() at that moment, or 0 if the process ended first.
     */
    private long awaitTemporary(Process p, Set<String> known) throws IOException, InterruptedException {
        while (p.isAlive()) {
            for (String t : temporaries()) {
                if (!known.contains(t)) {
                    return System.nanoTime();
                }
            }
            Thread.sleep(0, 200_000);
        }
        return 0;
    }

    /** The child JVM: the CLI's main, with this test's class path. */
    private Process emit(Path file, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("patchsites.collector.cli.Main");
        cmd.add("emit");
        cmd.addAll(List.of(args));
        cmd.add("--in-place");
        cmd.add(file.toString());
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("stderr-" + file.getFileName() + ".txt").toFile()).start();
    }

    private void run(Path file, String... args) throws Exception {
        Process p = emit(file, args);
        assertEquals(0, p.waitFor(), () -> stderr(p));
    }

    private String stderr(Process p) {
        try (Stream<Path> s = Files.list(dir)) {
            StringBuilder sb = new StringBuilder("exit " + p.exitValue());
            for (Path f : s.filter(f -> f.getFileName().toString().startsWith("stderr-")).toList()) {
                sb.append('\n').append(f.getFileName()).append(": ").append(Files.readString(f));
            }
            return sb.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private Set<String> temporaries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(AtomicFile.TEMP_SUFFIX))
                    .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    private static List<String> tables(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        try (Source s = Source.map(file)) {
            ElfFile elf = ElfFile.parse(s);
            for (int i = 1; i < elf.sectionCount(); i++) {
                String n = elf.sectionName(i);
                if (n.equals("__mcount_loc") || n.equals(".static_call_sites")) {
                    out.add(n);
                }
            }
        }
        return out;
    }
}
