package patchsites.collector.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import patchsites.collector.scan.TargetMatcher;
import picocli.CommandLine.Option;

/** --target / --targets-file, shared by every command that selects sites. */
final class TargetOptions {
    @Option(names = "--target", paramLabel = "GLOB",
            description = "Target symbol: an exact name or a glob (__SCT__*, __x86_indirect_thunk_*). Repeatable.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--targets-file", paramLabel = "FILE",
            description = "File with one target name or glob per line (# starts a comment).")
    Path targetsFile;

    /** The patterns read from {@link #targetsFile} by {@link #matcher}. */
    private List<String> filePatterns = List.of();

    /** The matcher, or null after reporting why there is none. */
    TargetMatcher matcher(Diagnostics diag) {
        if (targets.contains("")) {
            diag.error("--target takes a symbol name or glob, not an empty string");
            return null;
        }
        List<String> globs = globs(targets, targetsFile, diag);
        if (globs == null) {
            return null;
        }
        filePatterns = globs.subList(targets.size(), globs.size());
        if (globs.isEmpty()) {
            diag.error("no targets: give --target or --targets-file");
            return null;
        }
        return TargetMatcher.of(globs);
    }

    /** After {@link #matcher}: what tells at the end of a run which of these options matched nothing. */
    UnmatchedTargets unmatched() {
        return new UnmatchedTargets(targets, targetsFile, filePatterns);
    }

    boolean given() {
        return !targets.isEmpty() || targetsFile != null;
    }

    /** The globs given on the command line plus those of {@code file}; null after reporting a file that cannot be read. */
    static List<String> globs(List<String> given, Path file, Diagnostics diag) {
        List<String> globs = new ArrayList<>(given);
        if (file != null) {
            try {
                globs.addAll(TargetMatcher.readFile(file));
            } catch (IOException e) {
                diag.error(file.toString(), Diagnostics.failure(e));
                return null;
            }
        }
        return globs;
    }
}
