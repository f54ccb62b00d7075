package patchsites.collector.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the real-world corpus fetched by {@code scripts/fetch-corpus.sh}: Debian's Linux 6.1
 * x86-64 kernel modules under {@code <root>/modules}.
 *
 * <p>The root is system property {@value #PROPERTY} (surefire sets it from env
 * {@code PATCHSITES_CORPUS}; it may be empty), else {@code ~/.cache/patchsites/corpus}. When the
 * corpus is absent the calling test is aborted (skipped), unless system property
 * {@value #REQUIRE_PROPERTY} is {@code "true"} (env {@code PATCHSITES_REQUIRE_CORPUS}), in which
 * case it fails.
 */
public final class Corpus {
    public static final String PROPERTY = "patchsites.corpus";
    public static final String REQUIRE_PROPERTY = "patchsites.requireCorpus";
    /**
     * Root of the second corpus, Debian bookworm's Linux 6.12 cloud-amd64 modules, whose objtool
     * wrote {@code .call_sites} ({@code scripts/fetch-corpus.sh --kernel=6.12-cloud}; env
     * {@code PATCHSITES_CORPUS_612}, else {@code ~/.cache/patchsites/corpus-6.12-cloud}).
     */
    public static final String PROPERTY_612 = "patchsites.corpus612";

    private Corpus() {}

    /** The corpus root, which holds {@code modules/}. Aborts or fails the test when it is absent. */
    public static Path root() {
        return root(PROPERTY, "corpus", "");
    }

    /** The 6.12 corpus root ({@link #PROPERTY_612}). Aborts or fails the test when it is absent. */
    public static Path root612() {
        return root(PROPERTY_612, "corpus-6.12-cloud", " --kernel=6.12-cloud");
    }

    private static Path root(String property, String cacheName, String fetchArguments) {
        String configured = System.getProperty(property, "").trim();
        // An unset env variable can reach us as the literal "${env.PATCHSITES_CORPUS}".
        Path root = configured.isEmpty() || configured.startsWith("${")
                ? Path.of(System.getProperty("user.home"), ".cache", "patchsites", cacheName)
                : Path.of(configured);
        if (!Files.isDirectory(root.resolve("modules"))) {
            absent("no corpus at " + root + " (expected " + root.resolve("modules")
                    + "; fetch it with scripts/fetch-corpus.sh" + fetchArguments + " or set the property "
                    + property + ")");
        }
        return root;
    }

    /** Every {@code .ko} under {@code root()/modules}, sorted. Aborts or fails the test when there are none. */
    public static List<Path> modules() throws IOException {
        return modules(root());
    }

    /** Every {@code .ko} of the 6.12 corpus, sorted. */
    public static List<Path> modules612() throws IOException {
        return modules(root612());
    }

    private static List<Path> modules(Path root) throws IOException {
        Path modules = root.resolve("modules");
        List<Path> all;
        try (Stream<Path> walk = Files.walk(modules)) {
            all = walk.filter(p -> p.getFileName().toString().endsWith(".ko") && Files.isRegularFile(p))
                    .sorted()
                    .collect(Collectors.toList());
        }
        if (all.isEmpty()) {
            absent("the corpus at " + modules + " holds no .ko files");
        }
        return all;
    }

    private static void absent(String why) {
        if (Boolean.parseBoolean(System.getProperty(REQUIRE_PROPERTY, "").trim())) {
            Assertions.fail(why + " and " + REQUIRE_PROPERTY + " is true");
        }
        Assumptions.abort(why);
    }
}
