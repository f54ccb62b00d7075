package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import patchsites.collector.emit.AtomicFile;

/**
 * One-line diagnostics in the GNU manner: {@code patchsites: FILE: error: message},
 * {@code patchsites: FILE: warning: message}, and {@code patchsites: error: message} for what
 * concerns no file (usage). {@code --quiet} drops the warnings, never the errors.
 */
final class Diagnostics {
    private final PrintWriter err;
    private final boolean quiet;

    Diagnostics(PrintWriter err, boolean quiet) {
        this.err = err;
        this.quiet = quiet;
    }

    static String where(String file, String member) {
        return member == null ? file : file + "(" + member + ")";
    }

    /** An error about a file ({@code FILE} or {@code FILE(member)}). */
    void error(String where, String message) {
        err.println(oneLine("patchsites: " + where + ": error: " + message));
    }

    /** An error that concerns no file: a bad option or option value. */
    void error(String message) {
        err.println(oneLine("patchsites: error: " + message));
    }

    /** A warning that concerns no one file (a --target no input matched). */
    void warning(String message) {
        if (!quiet) {
            err.println(oneLine("patchsites: warning: " + message));
        }
    }

    void warning(String where, String message) {
        if (!quiet) {
            err.println(oneLine("patchsites: " + where + ": warning: " + message));
        }
    }

    boolean quiet() {
        return quiet;
    }

    /** "1 entry", "2 entries": a count with its noun in the right number. */
    static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /**
     * A diagnostic stays one line whatever the file holds: names read from a file (sections,
     * symbols, archive members) may contain newlines or other control characters, shown as \xNN.
     */
    static String oneLine(String s) {
        return patchsites.collector.elf.ElfFormatException.oneLine(s);
    }

    /** An unexpected exception while reading input, as one line. */
    static String internal(RuntimeException e) {
        // Where in patchsites it happened (the top frame is usually inside java.nio).
        StackTraceElement at = null;
        for (StackTraceElement f : e.getStackTrace()) {
            if (at == null) {
                at = f;
            }
            if (f.getClassName().startsWith("patchsites.")) {
                at = f;
                break;
            }
        }
        return "malformed input not caught by a check (" + e + (at == null ? "" : " at " + at)
                + "); please report this";
    }

    /**
     * Reports what stopped work on one input: a failed write names the output path the user gave
     * ({@link AtomicFile.WriteFailure}), anything else the input ({@code inputWhere}).
     */
    void fail(String inputWhere, Throwable e) {
        if (e instanceof AtomicFile.WriteFailure w) {
            error(w.path().toString(), w.getMessage());
        } else {
            error(inputWhere, failure(e));
        }
    }

    /**
     * The one-line message for what stopped work on an input file: an ELF check's own message, an
     * I/O error reading it, a fault in its mapping (the file shrank under a running scan or
     * emit), or (any other runtime exception) a check the ELF layer missed.
     */
    static String failure(Throwable e) {
        if (e instanceof patchsites.collector.elf.ElfFormatException || e instanceof AtomicFile.WriteFailure) {
            return e.getMessage();
        }
        if (e instanceof IOException io) {
            return "cannot read: " + describe(io);
        }
        if (e instanceof java.io.UncheckedIOException u) {
            return "cannot read: " + describe(u.getCause());
        }
        if (isMappingFault(e)) {
            return "the file changed while it was being read (truncated under its mapping)";
        }
        if (e instanceof RuntimeException r) {
            return internal(r);
        }
        return e.toString();
    }

    /**
     * The JVM's InternalError for a SIGBUS in a mapped buffer: a page of the mapping is past the
     * file's end now. Thrown at the next access (or, from compiled code, shortly after it).
     */
    static boolean isMappingFault(Throwable e) {
        return e instanceof InternalError && e.getMessage() != null && e.getMessage().contains("unsafe memory access");
    }

    /**
     * For a command's catch of what stopped work on an input, InternalError included: a mapping
     * fault is bad input, to be reported in one line naming the file; any other InternalError is
     * the JVM's and goes on.
     */
    static void rethrowUnlessMappingFault(Throwable e) {
        if (e instanceof InternalError jvm && !isMappingFault(jvm)) {
            throw jvm;
        }
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
