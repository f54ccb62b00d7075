package patchsites.collector.example;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import patchsites.collector.fixtures.Tools;

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
