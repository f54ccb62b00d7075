package patchsites.collector.robust;

import com.google.common.hash.Hashing;
import com.google.common.io.MoreFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import patchsites.collector.fixtures.CliClassPath;
import patchsites.fixtures.Tools;

/**
 * The CLI in a child JVM, as a user runs it: its own stdout and stderr (a file or a device), its
 * own signals, and optionally as the unprivileged user {@code nobody} (through {@code setpriv}),
 * with a copy of the class path that user may read.
 */
final class Cli {
    private Cli() {}

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java ... patchsites.collector.cli.Main ARGS}, as root (this JVM's user). */
    static List<String> command(String... args) {
        return command(CliClassPath.current(), List.of(), args);
    }

    static List<String> command(String classPath, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-XX:-UsePerfData", "-Xshare:auto"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classPath, "patchsites.collector.cli.Main"));
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** Runs the CLI in {@code dir}; fails the test after {@code timeoutSeconds} (a hang is a failure). */
    static Tools.Result run(Path dir, long timeoutSeconds, String... args) {
        return Tools.exec(new ProcessBuilder(command(args)).directory(dir.toFile()), timeoutSeconds);
    }

    static Tools.Result run(Path dir, String... args) {
        return run(dir, 60, args);
    }

    /** Runs the CLI as {@code nobody:nogroup}. */
    static Tools.Result runAsNobody(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "--inh-caps=-all"));
        cmd.addAll(command(readableClassPath(), List.of(), args));
        return Tools.exec(new ProcessBuilder(cmd).directory(dir.toFile()), 60);
    }

    static ProcessBuilder asNobody(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "--inh-caps=-all"));
        cmd.addAll(command(readableClassPath(), List.of(), args));
        return new ProcessBuilder(cmd).directory(dir.toFile());
    }

    private static String readable;

    /**
     * The CLI's class path (main classes of the modules and picocli), copied where {@code nobody}
     * can read it: the test class path is under root's home (~/.m2) and the build tree.
     */
    static synchronized String readableClassPath() {
        if (readable != null) {
            return readable;
        }
        try {
            Path root = Files.createTempDirectory("patchsites-cp-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> removeTree(root)));
            List<String> entries = new ArrayList<>();
            int n = 0;
            for (String e : CliClassPath.current().split(java.io.File.pathSeparator)) {
                Path p = Path.of(e);
                boolean classes = Files.isDirectory(p) && p.getFileName().toString().equals("classes");
                // The CLI's runtime: picocli and the project's own modules (target/classes, a reactor
                // jar under verify, or an installed jar with -pl collector).
                boolean jar = Files.isRegularFile(p) && (p.getFileName().toString().startsWith("picocli-")
                        && !p.getFileName().toString().contains("codegen") || holdsPatchsites(p));
                if (!classes && !jar) {
                    continue;
                }
                Path to = root.resolve(n++ + "-" + p.getFileName());
                if (Files.isDirectory(p)) {
                    copyTree(p, to);
                } else {
                    Files.copy(p, to);
                }
                entries.add(to.toString());
            }
            Tools.ok(root, "chmod", "-R", "a+rX", root.toString());
            readable = String.join(java.io.File.pathSeparator, entries);
            return readable;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void removeTree(Path root) {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            // best effort, on the way out of the test JVM
        }
    }

    private static boolean holdsPatchsites(Path jar) {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
            return z.stream().anyMatch(en -> en.getName().startsWith("patchsites/"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Makes {@code dir} and its parents up to /tmp searchable (and dir writable) for nobody. */
    static void openToAll(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        for (Path p = dir.getParent(); p != null && p.getNameCount() > 1; p = p.getParent()) {
            Tools.ok(p, "chmod", "a+x", p.toString());
        }
    }

    static String sha256(Path p) {
        try {
            return MoreFiles.asByteSource(p).hash(Hashing.sha256()).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code stat -c FORMAT} of a path (not following a final symbolic link). */
    static String stat(Path p, String format) {
        return Tools.ok(p.getParent() == null ? Path.of("/") : p.getParent(), "stat", "-c", format, p.toString()).strip();
    }

    static Map<String, String> env() {
        return Map.of("LC_ALL", "C");
    }
}
