package patchsites.collector.cli;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import patchsites.collector.emit.TableLayout;
import patchsites.lds.Trampolines;
import patchsites.model.X86Policy;

/**
 * The values of the options that take one of a few words, for picocli's {@code completionCandidates}:
 * the bash completion script offers them, and {@code ${COMPLETION-CANDIDATES}} lists them in the
 * help. Each list comes from where the words are parsed, so neither can drift.
 */
final class Completions {
    private Completions() {}

    static final class Layouts implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(TableLayout.values()).map(TableLayout::label).iterator();
        }
    }

    static final class X86Policies implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(X86Policy.values()).map(X86Policy::label).iterator();
        }
    }

    /** emit --key-fallback: {@link EmitCommand#keyRule} parses these. */
    static final class KeyFallbacks implements Iterable<String> {
        static final List<String> VALUES = List.of("target", "error");

        @Override
        public Iterator<String> iterator() {
            return VALUES.iterator();
        }
    }

    static final class TrampolineArches implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Trampolines.ARCHES.iterator();
        }
    }
}
