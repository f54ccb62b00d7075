package patchsites.collector.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A progress line on stderr for runs over many files, like {@code pv} or {@code rsync --progress}:
 * {@code patchsites: scan: 1234/4022 files}, rewritten in place with a carriage return and cleared
 * at the end. Only where a person watches: stderr is a terminal (stdout and stdin may be
 * redirected, as in {@code scan ... > out.txt}), {@code CI} is not set and TERM is not
 * {@code dumb}; never in a pipe, a file or CI, so that nothing a program reads from stderr changes.
 * Off with {@code --quiet}.
 */
final class Progress implements AutoCloseable {
    /** At least this many files before a progress line is worth drawing. */
    static final int MIN_FILES = 2;
    private static final long INTERVAL_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final String what;
    private final int total;
    private final boolean on;
    private int done;
    private long last;
    private int width;

    Progress(PrintWriter err, String what, int total, boolean on) {
        this.err = err;
        this.what = what;
        this.total = total;
        this.on = on && total >= MIN_FILES;
    }

    /** A progress line for {@code total} files, drawn only where {@link #onTerminal} says so. */
    static Progress of(PrintWriter err, String what, int total, boolean quiet) {
        return new Progress(err, what, total, !quiet && onTerminal(System.getenv(), Path.of("/proc/self/fd/2")));
    }

    /**
     * Whether stderr is a terminal someone watches: stderr a terminal device, no {@code CI}
     * variable (CI systems set it; some give programs a pseudo-terminal), TERM set and not
     * {@code dumb}. Not {@link System#console()}: that needs stdin and stdout to be terminals too.
     */
    static boolean onTerminal(Map<String, String> env, Path stderr) {
        if (env.get("CI") != null) {
            return false;
        }
        String term = env.get("TERM");
        if (term == null || term.isEmpty() || term.equals("dumb")) {
            return false;
        }
        try {
            String dev = Files.readSymbolicLink(stderr).toString();
            return dev.startsWith("/dev/pts/") || dev.startsWith("/dev/tty") || dev.equals("/dev/console");
        } catch (Exception e) {
            return false; // no /proc (not Linux), or not a link: no progress
        }
    }

    boolean enabled() {
        return on;
    }

    /** One more file done. */
    void step() {
        done++;
        if (!on) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - last < INTERVAL_NANOS) {
            return;
        }
        last = now;
        String line = "patchsites: " + what + ": " + done + "/" + total + " files";
        width = Math.max(width, line.length());
        err.print("\r" + line);
        err.flush();
    }

    /** Clears the line (until the next step draws it again) before something else is printed. */
    void hide() {
        if (on && width > 0) {
            err.print("\r" + " ".repeat(width) + "\r");
            err.flush();
            width = 0;
            last = 0;
        }
    }

    /** Clears the line, leaving stderr as it was for what follows. */
    @Override
    public void close() {
        hide();
    }
}
