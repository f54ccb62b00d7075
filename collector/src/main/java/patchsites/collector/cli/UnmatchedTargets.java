package patchsites.collector.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import patchsites.collector.scan.ScanResult;

/**
 * The one warning about target patterns that matched no symbol in any input, for scan and emit:
 * a misspelled glob would otherwise pass as "no sites" (scan) or objects without a table (emit),
 * exit 0; and a static function that the compiler inlined into every caller leaves no symbol at
 * all. Each {@code --target} pattern is judged on its own; a {@code --targets-file} lists
 * candidates (every register's thunk), most of which one build lacks, so it is named only when
 * none of its patterns matched.
 *
 * <p>Which patterns an object's symbols match is the scan's finding ({@link
 * ScanResult#patternsMatched}); this class only adds them up over the run. Thread-safe: scan and
 * emit work on several objects at once.
 */
final class UnmatchedTargets {
    private final List<String> targets;
    private final Path targetsFile;
    private final List<String> filePatterns;
    private final Set<String> matched = ConcurrentHashMap.newKeySet();
    private final AtomicInteger objects = new AtomicInteger();

    UnmatchedTargets(List<String> targets, Path targetsFile, List<String> filePatterns) {
        this.targets = List.copyOf(new LinkedHashSet<>(targets));
        this.targetsFile = targetsFile;
        this.filePatterns = List.copyOf(filePatterns);
    }

    /** Adds what one object's symbols matched. */
    void observe(ScanResult result) {
        matched.addAll(result.patternsMatched());
        objects.incrementAndGet();
    }

    /**
     * One line (concerning no one file) naming every option that matched nothing, as the user wrote
     * it (--target=P, --targets-file=F). Call it only when every input was read: an unread file's
     * symbols are unknown. Without any object read it says nothing either: the error about each
     * input is the message.
     */
    void warn(Diagnostics diag) {
        List<String> none = new ArrayList<>();
        for (String t : targets) {
            if (!matched.contains(t)) {
                none.add("--target=" + t);
            }
        }
        if (targetsFile != null && !filePatterns.isEmpty() && filePatterns.stream().noneMatch(matched::contains)) {
            none.add("--targets-file=" + targetsFile);
        }
        if (objects.get() > 0 && !none.isEmpty()) {
            diag.warning(String.join(", ", none) + " matched no symbol in any input: misspelled, or a static function"
                    + " that the compiler inlined into every caller (docs/design.md, \"Calls without relocations\")");
        }
    }
}
