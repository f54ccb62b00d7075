package patchsites.collector.robust;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import patchsites.collector.cli.Main;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ObjectReader;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;

/**
 * Runs patchsites on one input and says whether it behaved. The tool may accept an input or
 * reject it with its own error (an {@link ElfFormatException}, or on the command line exactly one
 * line {@code patchsites: FILE: error: message} and exit status 2); anything else is a bug:
 * another exception, a stack trace, the CLI's "not caught by a check" line, more than one error
 * line, a run longer than {@link #TIME_BUDGET_MS} on an input of at most 1 MB (measured twice, so
 * a garbage-collection pause is not a finding), heap allocation out of proportion to the input
 * (a header's claimed count believed), or an emitted object that patchsites cannot read back,
 * that is far larger than its input, or that changes when emitted again.
 */
final class FuzzOracle implements AutoCloseable {
    /** What is run on an input. */
    enum Target { SCAN, EMIT, AUDIT, DEVIRTUALIZE }

    /** The fuzz budget per input and run, from the brief: more than this on ≤ 1 MB is pathological. */
    static final long TIME_BUDGET_MS = 1000;
    /** Heap a run may allocate: a fixed allowance plus this many times the input's size. */
    static final long ALLOC_FIXED = 64L << 20, ALLOC_PER_BYTE = 64;
    /** An emitted object may be this many times its input plus 1 MiB (section alignment pads, up to 4 KiB each). */
    static final long OUTPUT_PER_BYTE = 80;

    private static final String[] ALL_TARGETS = {"--target=__SCT__*", "--target=__fentry__",
        "--target=__x86_indirect_thunk_*", "--target=__x86_return_thunk"};
    private static final TargetMatcher MATCHER = TargetMatcher.of(
            List.of("__SCT__*", "__fentry__", "__x86_indirect_thunk_*", "__x86_return_thunk"));

    private final Path dir;
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long runs;

    FuzzOracle() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        dir = Files.createTempDirectory(base, "patchsites-fuzz-");
    }

    /** A finding: which run on which input went wrong, and how. */
    static final class Finding extends AssertionError {
        private static final long serialVersionUID = 1L;
        final transient byte[] input;

        Finding(String message, byte[] input) {
            super(message);
            this.input = input;
        }
    }

    /** Runs {@code target} on {@code input}; {@code variant} picks options and the table. Throws a {@link Finding}. */
    void check(Target target, byte[] input, int variant) {
        runs++;
        String problem;
        try {
            problem = timed(target, input, variant);
            if (problem == null || !problem.startsWith("slow")) {
                return0(problem, target, input, variant);
                return;
            }
            // Slow once: again, warm, before calling it a finding.
            problem = timed(target, input, variant);
        } catch (Throwable t) {
            StringWriter sw = new StringWriter();
            t.printStackTrace(new PrintWriter(sw));
            problem = "threw " + sw;
        }
        return0(problem, target, input, variant);
    }

    private static void return0(String problem, Target target, byte[] input, int variant) {
        if (problem != null) {
            throw new Finding(target + " (variant " + variant + ") on " + input.length + " bytes: " + problem, input);
        }
    }

    private String timed(Target target, byte[] input, int variant) throws IOException {
        long tid = Thread.currentThread().getId();
        long alloc0 = threads.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        String problem = switch (target) {
            case SCAN -> scan(input, variant);
            case EMIT -> emit(input, variant);
            case AUDIT -> audit(input, variant);
            case DEVIRTUALIZE -> devirtualize(input, variant);
        };
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long allocated = threads.getThreadAllocatedBytes(tid) - alloc0;
        if (problem != null) {
            return problem;
        }
        if (ms > TIME_BUDGET_MS && input.length <= 1 << 20) {
            return "slow: " + ms + " ms";
        }
        if (allocated > ALLOC_FIXED + ALLOC_PER_BYTE * input.length) {
            return "allocated " + allocated + " bytes for an input of " + input.length;
        }
        return null;
    }

    private static boolean hasSection(Path object, String name) throws IOException {
        boolean[] found = {false};
        ObjectReader.read(object, (member, elf) -> found[0] |= elf.sectionNamed(name) > 0);
        return found[0];
    }

    /** scan through the API (in this thread, so its allocation is measured) and through the CLI. */
    private String scan(byte[] input, int variant) throws IOException {
        Path in = write("in.o", input);
        boolean refs = (variant & 1) != 0;
        try {
            ObjectReader.read(in, (member, elf) -> new Scanner(MATCHER, refs).scan(elf));
        } catch (ElfFormatException | ObjectReader.MemberException e) {
            String m = e.getMessage();
            if (m == null || m.isBlank() || m.contains("\n")) {
                return "error message is not one line: " + m;
            }
        } catch (IOException | UncheckedIOException e) {
            // The CLI reports these as one line too (checked below).
        }
        List<String> args = new ArrayList<>(List.of("scan", "--json"));
        args.addAll(Arrays.asList(ALL_TARGETS));
        if (refs) {
            args.add("--include-refs");
        }
        args.add(in.toString());
        return cli(args, in, false).problem;
    }

    /** A rewriting command's run: a finding ({@code verdict}), or its output ({@code out}), or neither (refused cleanly). */
    private record Rewrite(String verdict, Path out) {}

    /**
     * Runs {@code command options --in-place|--output=out in.o} (emit, devirtualize) and checks what
     * every rewriting command owes: no temporaries left, all or nothing on failure, an output of
     * bounded size.
     */
    private Rewrite rewrite(String command, List<String> options, byte[] input, boolean inPlace) throws IOException {
        Path in = write("in.o", input);
        Path out = inPlace ? in : dir.resolve("out.o");
        Files.deleteIfExists(dir.resolve("out.o"));
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(options);
        args.add(inPlace ? "--in-place" : "--output=" + out);
        args.add(in.toString());
        Run r = cli(args, in, false);
        if (r.problem != null) {
            return new Rewrite(r.problem, null);
        }
        String leftovers = leftovers();
        if (leftovers != null) {
            return new Rewrite(leftovers, null);
        }
        if (r.rc != 0) {
            if (!inPlace && Files.exists(out)) {
                return new Rewrite(command + " failed but wrote " + out, null);
            }
            if (inPlace && !Arrays.equals(input, Files.readAllBytes(in))) {
                return new Rewrite(command + " --in-place failed but changed the file", null);
            }
            return new Rewrite(null, null);
        }
        long size = Files.size(out);
        if (size > OUTPUT_PER_BYTE * input.length + (1 << 20)) {
            return new Rewrite(command + " wrote " + size + " bytes from " + input.length, null);
        }
        return new Rewrite(null, out);
    }

    private String emit(byte[] input, int variant) throws IOException {
        Seeds.Table table = Seeds.TABLES.get(variant & 3);
        Rewrite w = rewrite("emit", table.args(), input, (variant & 4) != 0);
        if (w.verdict != null || w.out == null) {
            return w.verdict;
        }
        Path out = w.out;
        byte[] once = Files.readAllBytes(out);
        // What emit wrote, patchsites reads: a scan with the same targets, and an audit of the table.
        List<String> scan = new ArrayList<>(List.of("scan", "--json"));
        for (String t : table.targets()) {
            scan.add("--target=" + t);
        }
        scan.add(out.toString());
        Run s = cli(scan, out, false);
        if (s.problem != null || s.rc != 0) {
            return "the emitted object does not scan: " + (s.problem != null ? s.problem : s.err);
        }
        List<String> audit = new ArrayList<>(List.of("audit"));
        audit.addAll(table.args());
        audit.add(out.toString());
        Run a = cli(audit, out, true);
        if (a.problem != null || a.rc == 2) {
            // (An object without sites gets no table and audits as an empty one: docs/formats.md.)
            return "the emitted table does not audit: " + (a.problem != null ? a.problem : a.err);
        }
        if (!Arrays.equals(input, once) && !hasSection(out, table.section())) {
            return "emit wrote no table but changed the object";
        }
        // Emitting the same table again gives the same bytes.
        List<String> again = new ArrayList<>(List.of("emit", "--in-place"));
        again.addAll(table.args());
        again.add(out.toString());
        Run e2 = cli(again, out, false);
        if (e2.problem != null || e2.rc != 0) {
            return "emitting again failed: " + (e2.problem != null ? e2.problem : e2.err);
        }
        if (!Arrays.equals(once, Files.readAllBytes(out))) {
            return "emitting the same table again changed the bytes";
        }
        return null;
    }

    private static final String[][] POINTERS = {{"--pointer=*_ops"}, {"--pointer=pv_ops"}, {"--pointer=*"},
        {"--pointer=my_ops", "--pointer=second_local"}};

    /**
     * devirtualize: all or nothing as emit; what it wrote scans, and a second run over its output
     * rewrites nothing and gives the same bytes (the table read back and merged).
     */
    private String devirtualize(byte[] input, int variant) throws IOException {
        String[] pointers = POINTERS[variant & 3];
        List<String> options = new ArrayList<>(Arrays.asList(pointers));
        if ((variant & 8) != 0) {
            options.add("--section=.text"); // not a table it may replace: refused, the file kept
        }
        Rewrite w = rewrite("devirtualize", options, input, (variant & 4) != 0);
        if (w.verdict != null || w.out == null) {
            return w.verdict;
        }
        Path out = w.out;
        List<String> scan = new ArrayList<>(List.of("scan", "--json"));
        scan.addAll(Arrays.asList(pointers));
        scan.add(out.toString());
        Run s = cli(scan, out, false);
        if (s.problem != null || s.rc != 0) {
            return "the devirtualized object does not scan: " + (s.problem != null ? s.problem : s.err);
        }
        byte[] once = Files.readAllBytes(out);
        Path again = dir.resolve("again.o");
        List<String> twice = new ArrayList<>(List.of("devirtualize"));
        twice.addAll(Arrays.asList(pointers));
        twice.addAll(List.of("--output=" + again, out.toString()));
        Run d2 = cli(twice, out, false);
        if (d2.problem != null || d2.rc != 0) {
            return "devirtualizing again failed: " + (d2.problem != null ? d2.problem : d2.err);
        }
        if (!d2.out.contains(": 0 sites devirtualized") || !Arrays.equals(once, Files.readAllBytes(again))) {
            return "devirtualizing again changed the bytes: " + d2.out;
        }
        return null;
    }

    private String audit(byte[] input, int variant) throws IOException {
        Seeds.Table table = Seeds.TABLES.get(variant & 3);
        Path in = write("in.o", input);
        List<String> args = new ArrayList<>(List.of("audit"));
        args.addAll(table.args());
        if ((variant & 4) != 0) {
            args.removeIf(a -> a.startsWith("--target=")); // targets derived from the table itself
        }
        if ((variant & 8) != 0) {
            args.add("--json");
        }
        args.add(in.toString());
        return cli(args, in, true).problem;
    }

    private record Run(int rc, String out, String err, String problem) {}

    /** One in-process CLI run and the contract every command keeps. */
    private Run cli(List<String> args, Path file, boolean audit) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            rc = Main.run(o, e, args.toArray(String[]::new));
        }
        String errs = err.toString();
        String problem = null;
        List<String> errors = errs.lines().filter(l -> !l.contains(": warning: ")).toList();
        String prefix = "patchsites: " + file;
        if (errs.contains("not caught by a check") || errs.contains("\tat ") || errs.contains("Exception")) {
            problem = "uncaught: " + errs;
        } else if (rc == 0 || (audit && rc == 1)) {
            if (!errors.isEmpty()) {
                problem = "exit " + rc + " with errors: " + errs;
            }
        } else if (rc == 2) {
            // One line per bad object: the file, or each bad member of an archive (the others are still read).
            java.util.Set<String> where = new java.util.HashSet<>();
            for (String line : errors) {
                int colon = line.indexOf(": ", prefix.length());
                boolean shaped = line.startsWith(prefix) && colon >= 0 && colon + 2 < line.length()
                        && (colon == prefix.length() || line.charAt(prefix.length()) == '(')
                        && where.add(line.substring(0, colon));
                if (!shaped) {
                    problem = "exit 2 needs one line '" + prefix + ": what is wrong' per bad object, got: " + errs;
                }
            }
            if (errors.isEmpty()) {
                problem = "exit 2 without an error line";
            }
        } else {
            problem = "exit status " + rc + ": " + errs;
        }
        return new Run(rc, out.toString(), errs, problem == null ? null : String.join(" ", args) + ": " + problem);
    }

    /** A temporary file of AtomicFile's left in the directory. */
    private String leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> tmp = s.map(p -> p.getFileName().toString()).filter(n -> n.contains("patchsites-tmp") || n.contains("patchsites-lock")).toList();
            return tmp.isEmpty() ? null : "temporary files left behind: " + tmp;
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
