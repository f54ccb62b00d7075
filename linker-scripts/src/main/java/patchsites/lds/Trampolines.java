package patchsites.lds;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Assembly trampolines, one per alias: {@code WRAPPER: jmp DEFAULT}. The per-architecture text
 * is a template resource ({@code trampoline-<arch>.S}); adding an architecture adds a file.
 * The trampolines live in a section of their own so that calls and tail calls to them from
 * other sections always keep a relocation, the reason the kernel uses {@code .static_call.text}.
 *
 * <p>Template format: a header, then the per-alias text between the lines {@code --- alias} and
 * {@code --- end}, then a footer; {@code @WRAPPER@} and {@code @TARGET@} are substituted.
 */
public final class Trampolines {
    /** The architectures with a template, as --arch takes them (help text and shell completion). */
    public static final List<String> ARCHES = List.of("x86_64", "i386", "arm64", "arm", "ppc64le", "ppc64", "ppc32",
            "riscv64", "s390x", "loongarch64");

    private Trampolines() {}

    public static boolean supports(String arch) {
        return Trampolines.class.getResource(resource(arch)) != null;
    }

    public static String assembly(String arch, List<Alias> aliases) {
        String template = load(arch);
        int a = template.indexOf("--- alias\n"), e = template.indexOf("--- end\n");
        if (a < 0 || e < a) {
            throw new IllegalStateException("malformed template " + resource(arch));
        }
        String perAlias = template.substring(a + "--- alias\n".length(), e);
        LinkerScript.checkUnique(aliases);
        StringBuilder b = new StringBuilder(template.substring(0, a));
        java.util.Set<String> done = new java.util.HashSet<>();
        for (Alias alias : aliases) {
            if (!done.add(alias.wrapper())) {
                continue; // the same alias twice: one trampoline
            }
            b.append(perAlias.replace("@WRAPPER@", alias.wrapper()).replace("@TARGET@", alias.target()));
        }
        b.append(template.substring(e + "--- end\n".length()));
        return b.toString();
    }

    private static String resource(String arch) {
        return "trampoline-" + arch + ".S";
    }

    private static String load(String arch) {
        if (!arch.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("bad architecture name '" + arch + "'");
        }
        try (InputStream in = Trampolines.class.getResourceAsStream(resource(arch))) {
            if (in == null) {
                throw new IllegalArgumentException("no trampoline template for architecture '" + arch + "'");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
