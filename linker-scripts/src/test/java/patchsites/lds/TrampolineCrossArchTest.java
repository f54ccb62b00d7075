package patchsites.lds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture's trampoline template, generated for one alias, is assembled by that
 * architecture's own assembler (Debian's cross binutils; clang-19 for loongarch64, which has no
 * GNU cross toolchain in Debian), must carry the expected branch relocation against the default,
 * and is linked into a small static program together with the {@code PROVIDE}/placement fragment.
 * The program calls the wrapper directly and through a function pointer, and runs under
 * qemu-user: it must reach the default both ways. loongarch64 has no libc here: its program is
 * freestanding (raw syscalls) and linked with ld.lld-19. A missing cross tool or qemu is a
 * failure, not a skip ({@code scripts/setup.sh} installs them).
 */
class TrampolineCrossArchTest {
    /** One architecture: the name patchsites uses, the GNU triplet, the qemu-user binary, the relocation expected. */
    record Target(String arch, String triplet, String qemu, String reloc) {
        @Override
        public String toString() {
            return arch;
        }

        boolean gnu() {
            return triplet != null;
        }
    }

    static Stream<Target> targets() {
        return Stream.of(
                new Target("x86_64", "x86_64-linux-gnu", "qemu-x86_64-static", "R_X86_64_PLT32"),
                new Target("i386", "i686-linux-gnu", "qemu-i386-static", "R_386_PC32"),
                new Target("arm64", "aarch64-linux-gnu", "qemu-aarch64-static", "R_AARCH64_JUMP26"),
                new Target("arm", "arm-linux-gnueabihf", "qemu-arm-static", "R_ARM_THM_JUMP24"),
                new Target("ppc64le", "powerpc64le-linux-gnu", "qemu-ppc64le-static", "R_PPC64_REL24"),
                new Target("ppc64", "powerpc64-linux-gnu", "qemu-ppc64-static", "R_PPC64_REL24"),
                new Target("ppc32", "powerpc-linux-gnu", "qemu-ppc-static", "R_PPC_REL24"),
                new Target("riscv64", "riscv64-linux-gnu", "qemu-riscv64-static", "R_RISCV_CALL_PLT"),
                new Target("s390x", "s390x-linux-gnu", "qemu-s390x-static", "R_390_PLT32DBL"),
                new Target("loongarch64", null, "qemu-loongarch64-static", "R_LARCH_B26"));
    }

    /** Calls the wrapper directly and through a pointer (ppc64: the global entry / descriptor). */
    private static final String MAIN = String.join("\n",
            "#include <stdio.h>",
            "extern int __SCT__twice(int);",
            "int twice_default(int x) { return 2 * x; }",
            "__attribute__((section(\".my_table\"), used)) static int entries[3] = {1, 2, 3};",
            "extern int __start_my_table[], __stop_my_table[];",
            "int main(void) {",
            "  int (*volatile p)(int) = __SCT__twice;",
            "  printf(\"%d %d %ld\\n\", __SCT__twice(21), p(4), (long)(__stop_my_table - __start_my_table));",
            "  return 0;",
            "}", "");

    /**
     * The same without a libc: write(2) and exit(2) by raw LoongArch syscalls. It has a .data
     * section on purpose: ld.lld refuses {@code INSERT AFTER .data} when there is none
     * ("unable to insert .my_table after .data"), where GNU ld does not mind.
     */
    private static final String MAIN_FREESTANDING = String.join("\n",
            "extern int __SCT__twice(int);",
            "int twice_default(int x) { return 2 * x; }",
            "__attribute__((section(\".my_table\"), used)) static int entries[3] = {1, 2, 3};",
            "extern int __start_my_table[], __stop_my_table[];",
            "int two = 2;",
            "static long sys3(long n, long a, long b, long c) {",
            "  register long a7 __asm__(\"a7\") = n, a0 __asm__(\"a0\") = a, a1 __asm__(\"a1\") = b, a2 __asm__(\"a2\") = c;",
            "  __asm__ volatile(\"syscall 0\" : \"+r\"(a0) : \"r\"(a7), \"r\"(a1), \"r\"(a2) : \"memory\");",
            "  return a0;",
            "}",
            "void _start(void) {",
            "  int (*volatile p)(int) = __SCT__twice;",
            "  int r = __SCT__twice(21), s = p(4);",
            "  long n = __stop_my_table - __start_my_table + two - 2;",
            "  char buf[] = {'0' + r / 10, '0' + r % 10, ' ', '0' + s, ' ', '0' + n, '\\n'};",
            "  sys3(64, 1, (long)buf, sizeof buf);",
            "  sys3(93, 0, 0, 0);",
            "  for (;;) ;",
            "}", "");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void trampolineAssemblesLinksAndReachesTheDefault(Target t) throws Exception {
        List<Alias> aliases = List.of(new Alias("__SCT__twice", "twice_default"));
        Files.writeString(dir.resolve("tramp.S"), Trampolines.assembly(t.arch(), aliases));
        Files.writeString(dir.resolve("frag.lds"), LinkerScript.fragment(aliases, ".my_table"));
        if (t.gnu()) {
            run(t.triplet() + "-as", "-o", "tramp.o", "tramp.S");
        } else {
            run("clang-19", "--target=loongarch64-linux-gnu", "-c", "-o", "tramp.o", "tramp.S");
        }

        // The trampoline is a global function in .static_call.text whose branch is relocated
        // against the default.
        String relocs = t.gnu() ? run(t.triplet() + "-readelf", "-r", "-W", "tramp.o")
                : run("llvm-readelf-19", "-r", "-W", "tramp.o");
        assertTrue(Pattern.compile("(?s).*Relocation section '\\.rela?\\.static_call\\.text'.*\\b" + t.reloc()
                + "\\s+[0-9a-f]+\\s+twice_default\\b.*").matcher(relocs).matches(), relocs);
        String syms = t.gnu() ? run(t.triplet() + "-nm", "tramp.o") : run("llvm-nm-19", "tramp.o");
        // ppc64 ELFv1: the function symbol is the descriptor in .opd (data); elsewhere code.
        String wrapperType = t.arch().equals("ppc64") ? "D" : "T";
        assertTrue(Pattern.compile("(?m)^[0-9a-f]+ " + wrapperType + " __SCT__twice$").matcher(syms).find(), syms);

        if (t.gnu()) {
            Files.writeString(dir.resolve("main.c"), MAIN);
            run(t.triplet() + "-gcc", "-O2", "-static", "-o", "prog", "main.c", "tramp.o", "-Wl,-T,frag.lds");
        } else {
            Files.writeString(dir.resolve("main.c"), MAIN_FREESTANDING);
            run("clang-19", "--target=loongarch64-linux-gnu", "-O2", "-ffreestanding", "-fno-pic", "-c", "-o", "main.o",
                    "main.c");
            run("ld.lld-19", "-static", "-o", "prog", "main.o", "tramp.o", "-T", "frag.lds");
        }
        assertEquals("42 8 3", run(t.qemu(), "./prog").strip());
        // The trampoline, not the PROVIDE alias, is the wrapper in the program.
        String linked = t.gnu() ? run(t.triplet() + "-nm", "prog") : run("llvm-nm-19", "prog");
        assertTrue(Pattern.compile("(?m)^[0-9a-f]+ " + wrapperType + " __SCT__twice$").matcher(linked).find(),
                "__SCT__twice is not the trampoline in the program");
    }

    private String run(String... cmd) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(cmd));
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd[0] + " (scripts/setup.sh installs it): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + rc + ":\n" + out);
        }
        return out;
    }
}
