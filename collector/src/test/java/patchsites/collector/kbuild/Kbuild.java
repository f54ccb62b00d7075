package patchsites.collector.kbuild;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.fixtures.CliClassPath;
import patchsites.fixtures.Tools;

/**
 * What the kbuild tests share: the repository's files, a {@code patchsites} command that runs the
 * CLI as compiled now (the test phase runs before the jar is packaged), processes, and the mini
 * kernel tree with Debian's real Linux 6.1 scripts.
 *
 * <p>gcc, binutils, make and patch missing is a failure, not a skip, as in the other toolchain
 * tests; the 6.1 scripts come from the corpus ({@code scripts/fetch-corpus.sh} for
 * {@code kbuild/}, {@code scripts/fetch-kernel-files.sh} for {@code linux-6.1/}) and follow
 * {@link Corpus}' rule: absent, the test is skipped unless the corpus is required.
 */
final class Kbuild {
    private static final long TIMEOUT_SECONDS = 600;

    private Kbuild() {}

    /** The checkout: the directory that holds {@code linker-scripts/kbuild/patchsites-kbuild}. */
    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("linker-scripts/kbuild/patchsites-kbuild"))) {
                return p;
            }
        }
        throw new AssertionError("linker-scripts/kbuild/patchsites-kbuild not found above " + Path.of("").toAbsolutePath());
    }

    static Path kbuildDir() {
        return repositoryRoot().resolve("linker-scripts/kbuild");
    }

    static Path wrapper() {
        return kbuildDir().resolve("patchsites-kbuild");
    }

    static Path example() {
        return repositoryRoot().resolve("examples/static-calls");
    }

    /**
     * Writes {@code dir/patchsites}, a launcher of the CLI on the test's class path, and returns
     * {@code dir}: put it first in PATH, or name the file in PATCHSITES.
     */
    static Path patchsitesCommand(Path dir) throws IOException {
        Files.createDirectories(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path launcher = dir.resolve("patchsites");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + java + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp '"
                + CliClassPath.current() + "' patchsites.collector.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    static Tools.Result run(Path dir, Map<String, String> env, String... cmd) {
        return run(dir, env, List.of(cmd));
    }

    static Tools.Result run(Path dir, Map<String, String> env, List<String> cmd) {
        return run(dir, env, cmd, TIMEOUT_SECONDS);
    }

    static Tools.Result run(Path dir, Map<String, String> env, List<String> cmd, long timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        Map<String, String> e = pb.environment();
        // Make's and kbuild's variables of the test's own environment stay out.
        for (String v : List.of("V", "KBUILD_VERBOSE", "quiet", "MAKEFLAGS", "MFLAGS", "PATCHSITES", "PATCHSITES_CONFIG",
                "PATCHSITES_KBUILD", "srctree")) {
            e.remove(v);
        }
        e.putAll(env);
        return Tools.exec(pb, timeoutSeconds);
    }

    /** Runs a bash script in {@code dir} ({@code set -euo pipefail}). */
    static Tools.Result bash(Path dir, Map<String, String> env, String script) {
        return run(dir, env, "bash", "-c", "set -euo pipefail\n" + script);
    }

    /** The PATH with {@code first} in front. */
    static String pathWith(Path first) {
        return first + File.pathSeparator + System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    }

    // ---- Debian's Linux 6.1 files -------------------------------------------------------------

    /** Debian's linux-kbuild-6.1 scripts (corpus {@code kbuild/scripts}); aborts or fails when absent. */
    static Path kbuildScripts() {
        Path s = Corpus.root().resolve("kbuild/scripts");
        require(s.resolve("Makefile.vmlinux_o"), "scripts/fetch-corpus.sh");
        return s;
    }

    /** Files of Debian's linux-source-6.1 (corpus {@code linux-6.1}); aborts or fails when absent. */
    static Path linuxSource() {
        Path s = Corpus.root().resolve("linux-6.1");
        require(s.resolve("scripts/link-vmlinux.sh"), "scripts/fetch-kernel-files.sh");
        return s;
    }

    /** Debian's 6.1 objtool (corpus {@code kbuild/tools/objtool/objtool}). */
    static Path objtool() {
        Path o = Corpus.root().resolve("kbuild/tools/objtool/objtool");
        require(o, "scripts/fetch-corpus.sh");
        return o;
    }

    private static void require(Path file, String fetchedBy) {
        if (!Files.isRegularFile(file)) {
            String why = file + " is missing (" + fetchedBy + " fetches it)";
            if (Boolean.parseBoolean(System.getProperty(Corpus.REQUIRE_PROPERTY, "").trim())) {
                fail(why + " and " + Corpus.REQUIRE_PROPERTY + " is true");
            }
            org.junit.jupiter.api.Assumptions.abort(why);
        }
    }

    /**
     * A mini kernel tree in {@code tree}: the fixture's top-level Makefile (test resource
     * {@code kbuild/Makefile}), vmlinux.lds.S, keys.h and init/version-timestamp.c, and copies of
     * Debian's 6.1 scripts/Makefile.vmlinux_o, Makefile.vmlinux, link-vmlinux.sh, Kbuild.include,
     * Makefile.lib, mksysmap, basic/fixdep and include/asm-generic/vmlinux.lds.h, unpatched.
     */
    static void miniTree(Path tree) throws IOException {
        Path scripts = kbuildScripts();
        Path source = linuxSource();
        Files.createDirectories(tree.resolve("scripts/basic"));
        Files.createDirectories(tree.resolve("include/config"));
        Files.createDirectories(tree.resolve("include/asm-generic"));
        Files.createDirectories(tree.resolve("init"));
        for (String f : List.of("Kbuild.include", "Makefile.lib", "Makefile.vmlinux_o", "Makefile.vmlinux", "mksysmap",
                "basic/fixdep")) {
            copy(scripts.resolve(f), tree.resolve("scripts").resolve(f));
        }
        copy(source.resolve("scripts/link-vmlinux.sh"), tree.resolve("scripts/link-vmlinux.sh"));
        copy(source.resolve("include/asm-generic/vmlinux.lds.h"), tree.resolve("include/asm-generic/vmlinux.lds.h"));
        resource("Makefile", tree.resolve("Makefile"));
        resource("vmlinux.lds.S", tree.resolve("vmlinux.lds.S"));
        resource("keys.h", tree.resolve("keys.h"));
        resource("Makefile.build", tree.resolve("scripts/Makefile.build"));
        resource("version-timestamp.c", tree.resolve("init/version-timestamp.c"));
        // No CONFIG_KALLSYMS, CONFIG_MODULES, BTF or table sorting: link-vmlinux.sh links once.
        Files.writeString(tree.resolve("include/config/auto.conf"), "");
    }

    /** The environment the mini tree's Makefile needs; {@code bin} holds the patchsites launcher. */
    static Map<String, String> treeEnv(Path bin, boolean withObjtool) {
        Map<String, String> env = new HashMap<>();
        env.put("EXAMPLE", example().toString());
        env.put("PATH", pathWith(bin));
        env.put("PATCHSITES_HOME", repositoryRoot().toString());
        if (withObjtool) {
            env.put("OBJTOOL", objtool().toString());
        }
        return env;
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }

    private static void resource(String name, Path to) throws IOException {
        try (InputStream in = Kbuild.class.getResourceAsStream("/kbuild/" + name)) {
            if (in == null) {
                throw new AssertionError("test resource kbuild/" + name + " is missing");
            }
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
