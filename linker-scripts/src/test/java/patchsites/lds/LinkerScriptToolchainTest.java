package patchsites.lds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated text is fed to the real gcc, as and ld, and the program it links is run. */
class LinkerScriptToolchainTest {
    private static final String MAIN = String.join("\n",
            "#include <stdio.h>",
            "extern int __SCT__twice(int);",
            "int twice_default(int x) { return 2 * x; }",
            "/* Not a C identifier, so ld would not define __start_/__stop_ by itself. */",
            "__attribute__((section(\".my_table\"), used)) static int entries[3] = {1, 2, 3};",
            "extern int __start_my_table[], __stop_my_table[];",
            "int main(void) {",
            "  printf(\"%d %ld\\n\", __SCT__twice(21), (long)(__stop_my_table - __start_my_table));",
            "  return 0;",
            "}", "");

    @TempDir
    Path dir;

    @Test
    void provideAliasAndPlacementLinkAndRun() throws Exception {
        Files.writeString(dir.resolve("main.c"), MAIN);
        Files.writeString(dir.resolve("frag.lds"),
                LinkerScript.fragment(List.of(new Alias("__SCT__twice", "twice_default")), ".my_table"));
        run("gcc", "-O2", "-no-pie", "-o", "prog", "main.c", "-Wl,-T,frag.lds");
        assertEquals("42 3", run("./prog").strip());
        String syms = run("nm", "prog");
        assertTrue(syms.contains(" __start_my_table") && syms.contains(" __stop_my_table"), syms);
    }

    @Test
    void trampolineAssemblesAndWinsOverProvide() throws Exception {
        Files.writeString(dir.resolve("main.c"), MAIN);
        List<Alias> aliases = List.of(new Alias("__SCT__twice", "twice_default"));
        Files.writeString(dir.resolve("tramp.S"), Trampolines.assembly("x86_64", aliases));
        Files.writeString(dir.resolve("frag.lds"), LinkerScript.fragment(aliases, ".my_table"));
        run("as", "-o", "tramp.o", "tramp.S");
        // The trampoline is a real global function in its own section.
        String t = run("objdump", "-dr", "-w", "tramp.o");
        assertTrue(t.contains("Disassembly of section .static_call.text:") && t.contains("<__SCT__twice>:")
                && t.matches("(?s).*jmp.*R_X86_64_PLT32\\s+twice_default-0x4.*"), t);
        run("gcc", "-O2", "-no-pie", "-o", "prog", "main.c", "tramp.o", "-Wl,-T,frag.lds");
        assertEquals("42 3", run("./prog").strip());
        // With the trampoline linked in, PROVIDE stays out of the way: the wrapper is the trampoline.
        String syms = run("nm", "prog");
        assertTrue(syms.matches("(?s).*\\b[0-9a-f]+ T __SCT__twice\\b.*"), syms);
    }

    @Test
    void rejectsNamesThatWouldInjectText() {
        assertThrows(IllegalArgumentException.class, () -> Alias.parse("a=b); INCLUDE x"));
        assertThrows(IllegalArgumentException.class, () -> Alias.parse("noequals"));
        assertThrows(IllegalArgumentException.class, () -> Trampolines.assembly("../etc", List.of()));
        assertThrows(IllegalArgumentException.class, () -> Trampolines.assembly("vax", List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> LinkerScript.fragment(List.of(), ".static_call_sites)) } /DISCARD/ : { *(.text"));
        List<Alias> conflicting = List.of(new Alias("__SCT__f", "f_default"), new Alias("__SCT__f", "f_other"));
        assertThrows(IllegalArgumentException.class, () -> LinkerScript.fragment(conflicting, null));
        assertThrows(IllegalArgumentException.class, () -> Trampolines.assembly("x86_64", conflicting));
        assertEquals("__start_static_call_sites", LinkerScript.startSymbol(".static_call_sites"));
        // A C-identifier name keeps its underscores, as GNU ld's own __start_/__stop_ symbols do.
        assertEquals("__stop___mcount_loc", LinkerScript.stopSymbol("__mcount_loc"));
    }

    private String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + rc + ":\n" + out);
        }
        return out;
    }
}
