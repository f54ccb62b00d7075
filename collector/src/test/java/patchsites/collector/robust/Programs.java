package patchsites.collector.robust;

import java.nio.file.Path;
import patchsites.fixtures.Tools;

/** A small linked program with a static-call table, for {@code plan}: built by gcc, emit and ld. */
final class Programs {
    private Programs() {}

    private static final String SOURCE = """
            extern void __SCT__f(void);
            void f_impl(void) { __asm__ volatile(""); }
            void g_impl(void) { __asm__ volatile(""); }
            int main(void) { __SCT__f(); __SCT__f(); return 0; }
            """;

    /**
     * {@code dir/prog}: two calls of {@code __SCT__f} (bound to f_impl by the link), listed in
     * {@code .static_call_sites} keyed by the target itself (no {@code __SCK__} key in a program).
     */
    static Path linked(Path dir) {
        Path obj = Tools.compileC(Tools.write(dir, "prog.c", SOURCE), "prog.o", "-fno-pic");
        Cli.run(dir, "emit", "--target=__SCT__*", "--section=.static_call_sites", "--layout=site-key", "--in-place",
                obj.toString()).ok();
        Tools.ok(dir, "gcc", "-no-pie", "-o", "prog", "prog.o", "-Wl,--defsym=__SCT__f=f_impl");
        return dir.resolve("prog");
    }
}
