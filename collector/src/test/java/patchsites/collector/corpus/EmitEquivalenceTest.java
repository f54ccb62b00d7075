package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.Main;

/**
 * Kernel equivalence of {@code patchsites emit}: for every Debian module, the four tables the
 * real toolchain wrote are removed with objcopy and written again by emit; the regenerated
 * tables must hold exactly the original entries (site, key symbol, tail flag), decoded by
 * {@link KernelTables}. Debian's objtool must still read every rewritten static-call module; a
 * sample of at least 500 must pass {@code readelf -a -W} without a word on stderr, be accepted by
 * {@code ld -r}, and give identical bytes when emitted again.
 */
class EmitEquivalenceTest {
    private record Table(String name, int entrySize, boolean keyed, String[] emitArgs) {}

    private static final List<Table> TABLES = List.of(
            new Table(".static_call_sites", 8, true, new String[] {"--target=__SCT__*", "--layout=site-key",
                "--key-prefix=__SCT__=__SCK__"}),
            new Table(".retpoline_sites", 4, false, new String[] {"--target=__x86_indirect_thunk_*", "--layout=site"}),
            new Table(".return_sites", 4, false, new String[] {"--target=__x86_return_thunk", "--layout=site"}),
            new Table("__mcount_loc", 8, false, new String[] {"--target=__fentry__", "--layout=abs"}));

    /** Every n-th module also gets the readelf, ld -r and emit-twice checks (≥ 500 modules). */
    private static final int SAMPLE_EVERY = 7;

    @TempDir
    Path tmp;

    @Test
    void regeneratedTablesEqualTheToolchains() throws Exception {
        List<Path> modules = Corpus.modules();
        Path objtool = Corpus.root().resolve("kbuild/tools/objtool/objtool");
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong[] entries = new AtomicLong[TABLES.size()];
        AtomicLong[] files = new AtomicLong[TABLES.size()];
        for (int t = 0; t < TABLES.size(); t++) {
            entries[t] = new AtomicLong();
            files[t] = new AtomicLong();
        }
        AtomicLong readelfChecked = new AtomicLong(), objtoolChecked = new AtomicLong(), twiceChecked = new AtomicLong();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            order.add(i);
        }
        order.parallelStream().forEach(i -> {
            Path ko = modules.get(i);
            try {
                checkModule(ko, i, objtool, problems, entries, files, readelfChecked, objtoolChecked, twiceChecked);
            } catch (Exception e) {
                problems.add(ko + ": " + e);
            }
        });
        for (int t = 0; t < TABLES.size(); t++) {
            System.out.printf("emit %s: %d modules, %d entries regenerated%n", TABLES.get(t).name(), files[t].get(),
                    entries[t].get());
        }
        System.out.printf("emit: objtool read %d rewritten modules, readelf and ld -r checked %d, emit-twice checked %d,"
                + " %d problems%n", objtoolChecked.get(), readelfChecked.get(), twiceChecked.get(), problems.size());
        List<String> first = new ArrayList<>(problems);
        Collections.sort(first);
        assertEquals(List.of(), first.subList(0, Math.min(20, first.size())));
        assertTrue(files[0].get() > 500 && readelfChecked.get() >= 500, "too little was checked");
    }

    private void checkModule(Path ko, int index, Path objtool, ConcurrentLinkedQueue<String> problems,
            AtomicLong[] entries, AtomicLong[] files, AtomicLong readelfChecked, AtomicLong objtoolChecked,
            AtomicLong twiceChecked) throws Exception {
        KernelTables original = new KernelTables(ko);
        List<String> remove = new ArrayList<>();
        for (Table t : TABLES) {
            if (original.has(t.name())) {
                remove.add("--remove-section=" + t.name());
                remove.add("--remove-section=.rela" + t.name());
            }
        }
        if (remove.isEmpty()) {
            return;
        }
        Path work = tmp.resolve(index + ".ko");
        List<String> cmd = new ArrayList<>(List.of("objcopy"));
        cmd.addAll(remove);
        cmd.add(ko.toString());
        cmd.add(work.toString());
        run(cmd, work + ": objcopy");
        try {
            for (int t = 0; t < TABLES.size(); t++) {
                Table table = TABLES.get(t);
                if (!original.has(table.name())) {
                    continue;
                }
                emit(table, work);
                List<String> want = describe(original.entries(table.name(), table.entrySize(), table.keyed()), table);
                List<String> got = describe(new KernelTables(work).entries(table.name(), table.entrySize(), table.keyed()),
                        table);
                if (!want.equals(got)) {
                    List<String> missing = new ArrayList<>(want);
                    missing.removeAll(got);
                    List<String> extra = new ArrayList<>(got);
                    extra.removeAll(want);
                    problems.add(ko + " " + table.name() + ": missing " + head(missing) + ", extra " + head(extra));
                }
                files[t].incrementAndGet();
                entries[t].addAndGet(got.size());
            }
            if (original.has(".static_call_sites")) {
                String out = run(List.of(objtool.toString(), "--static-call", "--module", "--link", "--dry-run",
                        work.toString()), ko + ": objtool");
                if (out.contains("error")) {
                    problems.add(ko + ": objtool: " + out.strip());
                }
                objtoolChecked.incrementAndGet();
            }
            if (index % SAMPLE_EVERY == 0) {
                Process p = new ProcessBuilder("readelf", "-a", "-W", work.toString())
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                if (!err.isEmpty() || p.exitValue() != 0) {
                    problems.add(ko + ": readelf -a -W said: " + err.strip());
                }
                // The linker reads it as an input: every section, symbol and relocation.
                Path linked = tmp.resolve(index + ".ld-r.o");
                Process ld = new ProcessBuilder("ld", "-r", "-o", linked.toString(), work.toString())
                        .redirectErrorStream(true).start();
                String ldOut = new String(ld.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                ld.waitFor();
                if (ld.exitValue() != 0 || !ldOut.isEmpty()) {
                    problems.add(ko + ": ld -r exited " + ld.exitValue() + ": " + ldOut.strip());
                }
                Files.deleteIfExists(linked);
                readelfChecked.incrementAndGet();
                byte[] once = Files.readAllBytes(work);
                for (Table table : TABLES) {
                    if (original.has(table.name())) {
                        emit(table, work);
                    }
                }
                if (!Arrays.equals(once, Files.readAllBytes(work))) {
                    problems.add(ko + ": emitting the same tables again changed the bytes");
                }
                twiceChecked.incrementAndGet();
            }
        } finally {
            Files.deleteIfExists(work);
        }
    }

    private static void emit(Table table, Path file) {
        List<String> args = new ArrayList<>(List.of("emit", "--section=" + table.name(), "--in-place"));
        args.addAll(List.of(table.emitArgs()));
        args.add(file.toString());
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args.toArray(new String[0]));
        if (rc != 0 || err.toString().contains("error")) {
            throw new AssertionError(file + ": emit " + table.name() + " exited " + rc + ": " + err);
        }
    }

    /** Entries as sorted strings: the kernel sorts the table itself, so order carries no meaning. */
    private static List<String> describe(List<KernelTables.Entry> entries, Table table) {
        List<String> out = new ArrayList<>();
        for (KernelTables.Entry e : entries) {
            String s = e.section() + "+0x" + Long.toHexString(e.offset());
            if (table.keyed()) {
                s += " key=" + e.key() + ((e.keyAddend() & 1) != 0 ? " tail" : "");
            }
            out.add(s);
        }
        Collections.sort(out);
        return out;
    }

    private static String head(List<String> l) {
        return l.size() <= 5 ? l.toString() : l.subList(0, 5) + " (+" + (l.size() - 5) + ")";
    }

    private static String run(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(what + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new IOException(what + " exited " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }
}
