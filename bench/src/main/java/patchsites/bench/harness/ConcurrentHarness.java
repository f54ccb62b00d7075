package patchsites.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drives the native concurrent-patching harness ({@code examples/concurrent-patching}) as a child
 * process: builds it (gcc, ld, {@code patchsites emit}, {@code stubs}, {@code plan}), runs one
 * bounded stress run, or keeps it serving measurement windows for JMH. The harness patches its
 * own text and takes SIGTRAP/SIGSEGV; in a child process that cannot disturb the JVM.
 */
public final class ConcurrentHarness implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final List<String> header = new ArrayList<>();

    private ConcurrentHarness(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** The directory that holds {@code examples/concurrent-patching/build.sh}, from the working directory up. */
    public static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("examples/concurrent-patching/build.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("examples/concurrent-patching/build.sh not found above "
                + Path.of("").toAbsolutePath());
    }

    /**
     * Builds the harness with {@code sites} generated call sites into {@code dir}, verdicts under the
     * x86 {@code policy}. {@code cliClassPath}: run the CLI from these classes (null: ./patchsites).
     * Returns the build's output; throws when the build fails.
     */
    public static String build(Path dir, int sites, String policy, String cliClassPath) {
        ProcessBuilder pb = new ProcessBuilder(repositoryRoot().resolve("examples/concurrent-patching/build.sh").toString(),
                dir.toString(), Integer.toString(sites), policy).redirectErrorStream(true);
        if (cliClassPath != null) {
            pb.environment().put("PATCHSITES_CLASSPATH", cliClassPath);
            pb.environment().put("PATCHSITES_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        }
        Finished f = exec(pb, 600);
        if (f.exit() != 0) {
            throw new IllegalStateException("harness build failed (exit " + f.exit() + "):\n" + f.output());
        }
        return f.output();
    }

    /** One stress run of the harness in {@code dir} ({@code --plan} is added); it must end within {@code timeoutSeconds}. */
    public static Finished run(Path dir, long timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of(dir.resolve("harness").toString(),
                "--plan=" + dir.resolve("verdicts.txt")));
        cmd.addAll(List.of(args));
        return exec(new ProcessBuilder(cmd).redirectErrorStream(true), timeoutSeconds);
    }

    /** Starts the harness in {@code dir} serving windows ({@code --serve}); extra arguments as for a run. */
    public static ConcurrentHarness serve(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(dir.resolve("harness").toString(),
                "--plan=" + dir.resolve("verdicts.txt"), "--serve"));
        cmd.addAll(List.of(args));
        ConcurrentHarness h = new ConcurrentHarness(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
        for (String line; (line = h.out.readLine()) != null;) {
            if (line.equals("ready")) {
                return h;
            }
            h.header.add(line);
        }
        h.close();
        throw new IOException("the harness ended before it was ready: " + h.header);
    }

    /** The lines the harness printed before it was ready: the machine and the table. */
    public List<String> header() {
        return header;
    }

    /**
     * One measurement window: re-target the first {@code sites} sites of {@code select} by
     * {@code protocol} ({@code none}: no patcher) for {@code millis} ms while the workers call
     * every site. Returns the harness's {@code run:} line as keys and values.
     */
    public Map<String, String> window(String protocol, String select, int sites, int batch, int millis) throws IOException {
        in.write("window " + protocol + " " + select + " " + sites + " " + batch + " " + millis + "\n");
        in.flush();
        String line = out.readLine();
        if (line == null || !line.startsWith("run: ")) {
            throw new IOException("harness answered " + line);
        }
        return Report.fields(line);
    }

    @Override
    public void close() throws IOException {
        try {
            in.write("quit\n");
            in.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** A finished child process: exit status and its output (stdout and stderr). */
    public record Finished(int exit, String output) {}

    /** Runs a process to its end, or kills its tree after {@code timeoutSeconds}. */
    public static Finished exec(ProcessBuilder pb, long timeoutSeconds) {
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            StringBuilder sb = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null;) {
                        synchronized (sb) {
                            sb.append(l).append('\n');
                        }
                    }
                } catch (IOException ignored) {
                    // the process was killed
                }
            });
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                reader.join();
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + pb.command() + "\n" + sb);
            }
            reader.join();
            synchronized (sb) {
                return new Finished(p.exitValue(), sb.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
