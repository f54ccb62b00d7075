package patchsites.collector.example;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the example tests share: running a command, finding the tree and the CLI's class path, reading output. */
final class ExampleRuns {
    private ExampleRuns() {}


    record Run(List<String> command, int rc, String out, String err) {
        String describe() {
            return String.join(" ", command) + " -> exit " + rc + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }


    static Run run(Path dir, long timeoutSeconds, Map<String, String> env, String... cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("LC_ALL", "C");
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd[0] + " (scripts/setup.sh installs it): " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
            }
            return new Run(List.of(cmd), p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new AssertionError("interrupted while running " + cmd[0], e);
        }
    }


    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
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
     * The class path of this test JVM: the CLI as compiled now (the test phase runs before the jar
     * is packaged, and a jar left from an earlier build could be stale).
     */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        for (String e : cp.split(File.pathSeparator)) {
            if (Files.isRegularFile(Path.of(e, "patchsites/collector/cli/Main.class"))) {
                return cp;
            }
        }
        throw new AssertionError("the test class path has no patchsites/collector/cli/Main.class: " + cp);
    }


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
