package patchsites.collector.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import patchsites.fixtures.Tools;

/** What the example tests share: running a command, finding the tree, reading output. */
final class ExampleRuns {
    private ExampleRuns() {}

    /** Runs {@code cmd} in {@code dir} with {@code env} added (the runner is {@link Tools#exec}). */
    static Tools.Result run(Path dir, long timeoutSeconds, Map<String, String> env, String... cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env);
        return Tools.exec(pb, timeoutSeconds);
    }

    /** The directory that holds {@code examples/static-calls/build.sh}, from the module directory up. */
    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("examples/static-calls/build.sh"))) {
                return p;
            }
        }
        throw new AssertionError("examples/static-calls/build.sh not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * Checks the example program's report of its own run: it patched as many sites as objdump shows
     * branches to __SCT__filter ({@code oracle}, per mnemonic in {@code branches}), and every call
     * that went to filter_default before patching went to filter_strict after. Returns the number
     * of filter_default calls before patching.
     */
    static long checkPatchedRun(String output, int oracle, Map<String, Integer> branches) {
        int patched = intOf(output, "^patched (\\d+) sites of __SCK__filter$");
        assertEquals(oracle, patched, () -> "sites patched by the runtime vs branches to __SCT__filter in objdump "
                + branches + "\n" + output);
        long defaultBefore = intOf(output, "^before patching: .*filter_default (\\d+) calls");
        long defaultAfter = intOf(output, "^after patching: .*filter_default (\\d+) calls");
        long strictAfter = intOf(output, "^after patching: .*filter_strict (\\d+) calls");
        assertEquals(0, defaultAfter, "filter_default is still called after patching");
        assertTrue(defaultBefore > 0, "the workload did not call filter_default before patching");
        assertEquals(defaultBefore, strictAfter, "filter_strict after patching vs filter_default before");
        return defaultBefore;
    }

    /** The one integer that {@code regex}'s group 1 matches in {@code output}; fails on none or several. */
    static int intOf(String output, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(output);
        if (!m.find()) {
            fail("no line matching /" + regex + "/ in the program's output:\n" + output);
        }
        int v = Integer.parseInt(m.group(1));
        if (m.find()) {
            fail("more than one line matching /" + regex + "/ in the program's output:\n" + output);
        }
        return v;
    }
}
