package patchsites.collector.corpus;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates Debian's shipped cloud kernel fetched by {@code scripts/fetch-kernel-dbg.sh}: the -dbg
 * package's {@code vmlinux}, the modules and bzImage of the same release, and the bzImage's
 * payload as extract-vmlinux unpacks it. The root is system property {@value #PROPERTY} (surefire
 * sets it from env {@code PATCHSITES_KERNEL_DBG}), else {@code ~/.cache/patchsites/kernel-dbg}.
 * Absent: the test is aborted, or fails when {@link Corpus#REQUIRE_PROPERTY} is true (as in
 * scripts/test.sh).
 */
public final class ShippedKernel {
    public static final String PROPERTY = "patchsites.kernelDbg";

    private ShippedKernel() {}

    public static Path root() {
        String configured = System.getProperty(PROPERTY, "").trim();
        Path root = configured.isEmpty() || configured.startsWith("${")
                ? Path.of(System.getProperty("user.home"), ".cache", "patchsites", "kernel-dbg")
                : Path.of(configured);
        if (!Files.isRegularFile(root.resolve(".complete"))) {
            String why = "no shipped kernel at " + root + " (fetch it with scripts/fetch-kernel-dbg.sh or set"
                    + " PATCHSITES_KERNEL_DBG)";
            if (Boolean.parseBoolean(System.getProperty(Corpus.REQUIRE_PROPERTY, "").trim())) {
                Assertions.fail(why + " and " + Corpus.REQUIRE_PROPERTY + " is true");
            }
            Assumptions.abort(why);
        }
        return root;
    }

    public static Path vmlinux() {
        return root().resolve("vmlinux");
    }

    public static Path modules() {
        return root().resolve("modules");
    }
}
