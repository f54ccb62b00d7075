package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ObjectReader;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.AtomicFile;
import patchsites.collector.emit.ObjectRewriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The frame of the commands that rewrite relocatable objects ({@code emit}, {@code devirtualize}):
 * each object is checked, locked, mapped, prepared by the command and written through {@link
 * AtomicFile}; several objects ({@code --in-place}) on a pool, messages in the order of the
 * arguments. One bad object does not stop the others; each is all or nothing.
 */
final class ObjectRewrites {
    /** What a command does to one object. */
    interface Job {
        /**
         * Prepares the rewrite of {@code elf} (warnings go to {@code diag}, under {@code where}).
         * Throws {@link ElfFormatException} (or another RuntimeException) when the object cannot be
         * rewritten: nothing is written then.
         */
        Prepared prepare(ElfFile elf, String where, Diagnostics diag);
    }

    /**
     * The prepared rewrite, and what to print on stdout once it is written to the given path (null:
     * nothing). {@code rewriter} null: nothing to change (emit without sites, docs/formats.md): the
     * object is left as it is, not even its timestamp changes; {@code -o} gets a byte-for-byte copy
     * (devirtualize with nothing to rewrite, too).
     */
    record Prepared(ObjectRewriter rewriter, java.util.function.Function<Path, String> report) {}

    /** --in-place or -o: where the rewritten object goes. */
    static final class Destination {
        @Option(names = "--in-place", required = true, description = "Rewrite FILE.")
        boolean inPlace;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Write the result to OUT.")
        Path output;
    }

    private final CommandSpec spec;
    private final Destination destination;
    private final Job job;

    ObjectRewrites(CommandSpec spec, Destination destination, Job job) {
        this.spec = spec;
        this.destination = destination;
        this.job = job;
    }

    /**
     * Rewrites every file; 0, or 2 when one failed or the arguments do not fit the destination.
     * Several objects (the modules of a build, {@code --in-place}) are each read, prepared and
     * rewritten on a pool thread. Most of a small object's time is the wait for its data to reach
     * the disk ({@link AtomicFile} forces every file before the rename), so more threads than cores
     * pay: concurrent forces share journal commits.
     */
    int run(List<Path> files, JobsOption jobs, PrintWriter out, Diagnostics diag) {
        if (!destination.inPlace && files.size() != 1) {
            diag.error("-o takes one input object; use --in-place for several");
            return 2;
        }
        // Four a CPU: measured on 2 cores, 684 modules take 1.61 s with 1 thread, 0.92 s with 4,
        // 0.86 s with 8, 0.88 s with 16. Capped so that a big machine does not map 256 files at once.
        int dflt = Math.min(16, 4 * Runtime.getRuntime().availableProcessors());
        PrintWriter err = spec.commandLine().getErr();
        int[] rc = {0};
        Inputs.inOrder(spec, files, jobs.threads(dflt), diag.quiet(), file -> {
            FileReport r = new FileReport(diag.quiet());
            r.rc = rewriteOne(file, r.out, r.diag);
            return r;
        }, (r, progress) -> {
            if (r.errText.getBuffer().length() > 0 || r.outText.getBuffer().length() > 0) {
                progress.hide(); // messages never share a line with the progress line
            }
            err.print(r.errText);
            err.flush();
            out.print(r.outText);
            out.flush();
            rc[0] = Math.max(rc[0], r.rc);
        });
        return rc[0];
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

    /** Rewrites one object; 0 or 2. Objects are independent: one bad file does not stop the others. */
    private int rewriteOne(Path file, PrintWriter out, Diagnostics diag) {
        Path target = destination.inPlace ? file : destination.output;
        String where = file.toString();
        try {
            ObjectReader.checkInput(file);
        } catch (ElfFormatException e) {
            diag.error(where, e.getMessage());
            return 2;
        }
        // Locked before the input is read: a concurrent rewrite of the same file waits for this one
        // to finish instead of writing its own version of the original over this one's output.
        try (AtomicFile.Lock lock = AtomicFile.lock(target); Source src = Source.map(file)) {
            if (ObjectReader.classify(src) == ObjectReader.Kind.ARCHIVE) {
                throw new ElfFormatException("is an archive; " + spec.name()
                        + " writes one object (run it on the ld -r output)");
            }
            Prepared p = job.prepare(ElfFile.parse(src), where, diag);
            if (p.rewriter() != null) {
                AtomicFile.write(target, file, p.rewriter()::write);
            } else if (!destination.inPlace) {
                AtomicFile.write(target, file, ch -> src.copyTo(0, src.size(), ch, 0));
            }
            String report = p.report() == null ? null : p.report().apply(target);
            if (report != null) {
                out.print(report);
            }
        } catch (IOException | RuntimeException | InternalError e) {
            Diagnostics.rethrowUnlessMappingFault(e);
            diag.fail(where, e); // a failed write names the output, anything else the input
            return 2;
        }
        out.flush();
        return 0;
    }
}
