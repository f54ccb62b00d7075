package patchsites.collector.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import patchsites.collector.scan.TargetMatcher;
import picocli.CommandLine.Option;

/** --pointer / --pointers-file: the objects holding function pointers (pv_ops, *_ops) whose call sites to list. */
final class PointerOptions {
    @Option(names = "--pointer", paramLabel = "GLOB",
            description = "Object holding function pointers: an exact name or a glob (pv_ops, *_ops); lists the"
                    + " calls and jumps through its slots (kinds icall, itail, iload, iload-tail). Repeatable.")
    List<String> pointers = new ArrayList<>();

    @Option(names = "--pointers-file", paramLabel = "FILE",
            description = "File with one pointer object name or glob per line (# starts a comment).")
    Path pointersFile;

    boolean given() {
        return !pointers.isEmpty() || pointersFile != null;
    }

    /** The matcher, or null after reporting why there is none. */
    TargetMatcher matcher(Diagnostics diag) {
        List<String> globs = TargetOptions.globs(pointers, pointersFile, diag);
        if (globs == null) {
            return null;
        }
        if (globs.isEmpty()) {
            diag.error(pointersFile.toString(), "no pointer names in the file");
            return null;
        }
        return TargetMatcher.of(globs);
    }
}
