package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** One-line diagnostics in the binutils manner: {@code patchsites: FILE: message}. */
final class Diagnostics {
    private final PrintWriter err;

    Diagnostics(PrintWriter err) {
        this.err = err;
    }

    static String where(String file, String member) {
        return member == null ? file : file + "(" + member + ")";
    }

    void error(String where, String message) {
        err.println("patchsites: " + where + ": " + message);
    }

    void warning(String where, String message) {
        err.println("patchsites: " + where + ": warning: " + message);
    }

    /** An unexpected exception while reading input, as one line. */
    static String internal(RuntimeException e) {
        StackTraceElement at = e.getStackTrace().length > 0 ? e.getStackTrace()[0] : null;
        return "malformed input not caught by a check (" + e + (at == null ? "" : " at " + at)
                + "); please report this";
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
