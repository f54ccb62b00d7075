package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ObjectReader;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.AtomicFile;
import patchsites.collector.emit.ObjectRewriter;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.ScanResult;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "emit",
        mixinStandardHelpOptions = true,
        header = "Write the call-site table of the matching sites into an object.",
        description = "Writes the call-site table of the matching sites into a relocatable object,"
                + " replacing a table of the same name if there is one.",
        footerHeading = "%nNotes:%n",
        footer = {
                "Layouts (docs/formats.md):",
                "  site-key  s32 site, s32 key|tail: struct static_call_site",
                "  site      s32 site: .retpoline_sites, .return_sites",
                "  abs       pointer-sized absolute address: __mcount_loc",
                "",
                "The object is written to a temporary file that is renamed into place: on",
                "any error the original is untouched. A symbolic link is written through to",
                "its target, a device or FIFO with ordinary writes, a file with other hard",
                "links in place (docs/robustness.md, output rules). Several objects: each is",
                "all or nothing, the others are still written. With --verbose, emit says how",
                "many entries it wrote.",
                "",
                "Examples:",
                "  patchsites emit --target='__SCT__*' --section=.static_call_sites \\",
                "      --layout=site-key --key-prefix=__SCT__=__SCK__ --in-place vmlinux.o",
                "  patchsites emit --target=__fentry__ --section=__mcount_loc --layout=abs \\",
                "      -o out.o in.o"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {Main.EXIT_OK, Main.EXIT_BAD})
final class EmitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TargetOptions targetOptions;

    @Mixin
    JobsOption jobs;

    @Option(names = "--section", required = true, paramLabel = "NAME", description = "Name of the table section.")
    String section;

    @Option(names = "--layout", required = true, paramLabel = "LAYOUT", completionCandidates = Completions.Layouts.class,
            description = "site-key, site or abs.")
    String layout;

    @Mixin
    KeyOptions keyOptions;

    @Option(names = "--key-fallback", paramLabel = "target|error", defaultValue = "target",
            completionCandidates = Completions.KeyFallbacks.class,
            description = "site-key: when the key symbol is not in the object, use the target itself (default,"
                    + " as objtool does for modules) or fail.")
    String keyFallback;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Destination destination;

    static final class Destination {
        @Option(names = "--in-place", required = true, description = "Rewrite FILE.")
        boolean inPlace;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Write the result to OUT.")
        Path output;
    }

    /** The global --verbose: say what was written. */
    private boolean verbose;

    @Parameters(paramLabel = "FILE", arity = "1..*",
            description = "Relocatable ELF objects (.o, .ko, ld -r output); several only with --in-place.")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Diagnostics diag = Main.diagnostics(spec);
        verbose = Main.of(spec).verbose;
        TargetMatcher matcher = targetOptions.matcher(diag);
        if (matcher == null) {
            return 2;
        }
        TableLayout tableLayout;
        TableEmitter.KeyRule keys;
        try {
            tableLayout = TableLayout.parse(layout);
            keys = keyRule();
        } catch (IllegalArgumentException e) {
            diag.error(e.getMessage());
            return 2;
        }
        if (jobs.check() != null) {
            diag.error(jobs.check());
            return 2;
        }
        if (!destination.inPlace && files.size() != 1) {
            diag.error("-o takes one input object; use --in-place for several");
            return 2;
        }
        if (files.size() == 1) {
            int rc = emitOne(files.get(0), out, diag, matcher, tableLayout, keys);
            out.flush();
            return rc;
        }
        return emitAll(out, diag, matcher, tableLayout, keys);
    }

    /**
     * Several objects (the modules of a build, {@code --in-place}): each is read, scanned and
     * rewritten on a pool thread. Most of a small object's time is the wait for its data to reach
     * the disk ({@link AtomicFile} forces every file before the rename), so more threads than cores
     * pay: concurrent forces share journal commits. Messages come out in the order of the
     * arguments, as if the files had been done one after the other. Arguments that name the same
     * file go to one task, in order: two channels of one file in one process would share (and on
     * close drop) each other's POSIX lock.
     */
    private int emitAll(PrintWriter out, Diagnostics diag, TargetMatcher matcher, TableLayout tableLayout,
            TableEmitter.KeyRule keys) {
        Map<Object, List<Integer>> byFile = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            byFile.computeIfAbsent(fileKey(files.get(i)), k -> new ArrayList<>()).add(i);
        }
        // Four a CPU: measured on 2 cores, 684 modules take 1.61 s with 1 thread, 0.92 s with 4,
        // 0.86 s with 8, 0.88 s with 16. Capped so that a big machine does not map 256 files at once.
        int dflt = Math.min(16, 4 * Runtime.getRuntime().availableProcessors());
        ExecutorService pool = JobsOption.pool(jobs.threads(byFile.size(), dflt), "emit");
        List<CompletableFuture<FileReport>> reports = new ArrayList<>(Collections.nCopies(files.size(), null));
        for (List<Integer> same : byFile.values()) {
            List<CompletableFuture<FileReport>> mine = new ArrayList<>();
            for (int i : same) {
                CompletableFuture<FileReport> f = new CompletableFuture<>();
                reports.set(i, f);
                mine.add(f);
            }
            pool.execute(() -> {
                for (int k = 0; k < same.size(); k++) {
                    FileReport r = new FileReport(diag.quiet());
                    try {
                        r.rc = emitOne(files.get(same.get(k)), r.out, r.diag, matcher, tableLayout, keys);
                    } catch (Throwable t) { // an Error: reported by the main thread, not lost in the pool
                        mine.get(k).completeExceptionally(t);
                        continue;
                    }
                    mine.get(k).complete(r);
                }
            });
        }
        pool.shutdown();
        PrintWriter err = spec.commandLine().getErr();
        int rc = 0;
        try (Progress progress = Progress.of(err, "emit", files.size(), diag.quiet())) {
            for (int i = 0; i < reports.size(); i++) {
                FileReport r = reports.get(i).join();
                reports.set(i, null);
                if (r.errText.getBuffer().length() > 0 || r.outText.getBuffer().length() > 0) {
                    progress.hide(); // messages never share a line with the progress line
                }
                err.print(r.errText);
                err.flush();
                out.print(r.outText);
                out.flush();
                rc = Math.max(rc, r.rc);
                progress.step();
            }
        }
        return rc;
    }

    /** The messages of one object, held until the objects before it have printed theirs. */
    private static final class FileReport {
        final StringWriter errText = new StringWriter();
        final StringWriter outText = new StringWriter();
        final PrintWriter out = new PrintWriter(outText);
        final Diagnostics diag;
        int rc;

        FileReport(boolean quiet) {
            diag = new Diagnostics(new PrintWriter(errText, true), quiet);
        }
    }

    /** Which file a path names: its inode ({@link AtomicFile#fileKey}), so hard links count as one. */
    private static Object fileKey(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            Object key = AtomicFile.fileKey(abs);
            return key != null ? key : abs;
        } catch (IOException e) {
            return abs; // unreadable: its task reports that
        }
    }

    /** Emits into one object; 0 or 2. Objects are independent: one bad file does not stop the others. */
    private int emitOne(Path file, PrintWriter out, Diagnostics diag, TargetMatcher matcher, TableLayout tableLayout,
            TableEmitter.KeyRule keys) {
        Path target = destination.inPlace ? file : destination.output;
        String where = file.toString();
        try {
            ObjectReader.checkInput(file);
        } catch (ElfFormatException e) {
            diag.error(where, e.getMessage());
            return 2;
        }
        // Locked before the input is read: a concurrent emit on the same file waits for this one to
        // finish instead of writing its own version of the original over this one's output.
        try (AtomicFile.Lock lock = AtomicFile.lock(target); Source src = Source.map(file)) {
            if (ObjectReader.classify(src) == ObjectReader.Kind.ARCHIVE) {
                throw new ElfFormatException("is an archive; emit writes one object (run it on the ld -r output)");
            }
            ElfFile elf = ElfFile.parse(src);
            ScanResult scan = new Scanner(matcher, false).scan(elf);
            for (String w : scan.warnings()) {
                diag.warning(where, w);
            }
            ObjectRewriter rewriter = new ObjectRewriter(elf);
            TableEmitter.Summary summary = TableEmitter.prepare(rewriter, scan.sites(), section, tableLayout, keys);
            if (summary.leftOutInGroups() > 0) {
                diag.warning(where, Diagnostics.count(summary.leftOutInGroups(), "site", "sites") + " in COMDAT group sections were left out of "
                        + section + ": an entry outside its group would break the final link when ld discards a"
                        + " duplicate copy of the group");
            }
            AtomicFile.write(target, file, rewriter::write);
            if (verbose) {
                out.printf("%s: %s in %s (%s)%s%s%n", target, Diagnostics.count(summary.entries(), "entry", "entries"),
                        section, tableLayout.label(),
                        summary.keyFallbacks() > 0 ? ", " + summary.keyFallbacks() + " keyed by their target" : "",
                        summary.sectionSymbolsAdded() > 0 ? ", "
                                + Diagnostics.count(summary.sectionSymbolsAdded(), "section symbol", "section symbols") + " added" : "");
            }
        } catch (IOException | RuntimeException e) {
            diag.fail(where, e); // a failed write names the output, anything else the input
            return 2;
        } catch (InternalError e) {
            if (!Diagnostics.isMappingFault(e)) {
                throw e;
            }
            diag.fail(where, e);
            return 2;
        }
        out.flush();
        return 0;
    }

    private TableEmitter.KeyRule keyRule() {
        boolean fallback;
        switch (keyFallback) {
            case "target": fallback = true; break;
            case "error": fallback = false; break;
            default: throw new IllegalArgumentException("--key-fallback takes target or error, not '" + keyFallback + "'");
        }
        TableEmitter.KeyRule rule = keyOptions.rule(fallback, layout);
        return rule != null ? rule : new TableEmitter.KeyRule(null, null, fallback);
    }
}
