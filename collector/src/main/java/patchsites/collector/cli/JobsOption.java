package patchsites.collector.cli;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Option;

/** -j/--jobs: how many files are worked on at once, for commands that take many. */
final class JobsOption {
    @Option(names = {"-j", "--jobs"}, paramLabel = "N",
            description = "Work on up to N files at once. Default: scan and pointers, one a CPU; emit and devirtualize, four a CPU up to 16"
                    + " (it mostly waits for its writes to reach the disk).")
    Integer jobs;

    /** The number of threads for {@code files} files: --jobs, else {@code dflt}; at least 1, at most one a file. */
    int threads(int files, int dflt) {
        int n = jobs != null ? jobs : dflt;
        return Math.max(1, Math.min(n, files));
    }

    /** A pool of daemon threads named {@code name}, so a failed run never waits on its workers. */
    static ExecutorService pool(int threads, String name) {
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** A usage error for --jobs below 1, or null. */
    String check() {
        return jobs != null && jobs < 1 ? "--jobs takes a number of at least 1, not " + jobs : null;
    }
}
