package patchsites.collector.kbuild;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.fixtures.Tools;

/**
 * Every command that docs/kbuild.md and docs/cli.md show is run. The convention, for these and any
 * other page: commands are the lines that start with {@code "$ "} in fenced blocks marked
 * {@code sh} (a line ending in a backslash continues on the next); they run in order in one bash,
 * each must exit 0. Other lines of an {@code sh} block are sample output. A {@code "$ "} line in a
 * block of any other kind is an error: it would be a command nobody runs.
 *
 * <p>kbuild.md runs in the mini kernel tree of {@link KbuildScriptsTest} (Debian's real 6.1
 * scripts, unpatched until the page patches them, objtool on every object); cli.md's examples, which
 * come from the commands' {@code --help} footers, run in a directory of fixtures named as the
 * examples name them (vmlinux.o, drivers/net/foo.ko, built-in.a, kvm.ko, prog, ...), built from the
 * static-call example with gcc and binutils.
 */
class DocCommandsTest {
    @TempDir
    Path tmp;

    /** A fenced block: its info string and its lines. */
    record Block(String info, List<String> lines, int line) {}

    static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("```")) {
                String info = lines[i].substring(3).trim();
                List<String> body = new ArrayList<>();
                int start = i + 1;
                for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
                    body.add(lines[i]);
                }
                blocks.add(new Block(info, body, start));
            }
        }
        return blocks;
    }

    /** The commands of a page, in order; fails on a command outside an {@code sh} block. */
    static List<String> commands(Path page) throws IOException {
        List<String> commands = new ArrayList<>();
        for (Block b : blocks(Files.readString(page))) {
            boolean sh = b.info().equals("sh");
            for (int i = 0; i < b.lines().size(); i++) {
                String l = b.lines().get(i);
                if (!l.startsWith("$ ")) {
                    continue;
                }
                assertTrue(sh, page.getFileName() + ":" + (b.line() + i + 1) + ": a command in a ```" + b.info()
                        + " block, which nothing runs (commands go in ```sh blocks)");
                StringBuilder cmd = new StringBuilder(l.substring(2));
                while (cmd.toString().endsWith("\\") && i + 1 < b.lines().size()) {
                    cmd.append('\n').append(b.lines().get(++i));
                }
                commands.add(cmd.toString());
            }
        }
        return commands;
    }

    /** Runs the commands in one bash in {@code dir}; the first one that fails fails the test. */
    private static Tools.Result runAll(Path page, List<String> commands, Path dir, Map<String, String> env) {
        StringBuilder script = new StringBuilder("cd '" + dir + "' || exit 99\n");
        for (int i = 0; i < commands.size(); i++) {
            script.append("echo '>>> doc command ").append(i + 1).append("' >&2\n");
            script.append(commands.get(i)).append('\n');
            script.append("__rc=$?; if [ $__rc -ne 0 ]; then echo \"doc command ").append(i + 1)
                    .append(" exited $__rc\" >&2; exit 100; fi\n");
        }
        Tools.Result r = Kbuild.run(dir, env, "bash", "-c", script.toString());
        if (r.rc() != 0) {
            String failed = "?";
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("doc command (\\d+) exited").matcher(r.err());
            if (m.find()) {
                failed = commands.get(Integer.parseInt(m.group(1)) - 1);
            }
            String f = failed;
            assertEquals(0, r.rc(), () -> page + ": this command failed:\n  " + f + "\n" + r.describe());
        }
        return r;
    }

    @Test
    void kbuildMdCommandsRunInAMiniKernelTree() throws IOException {
        Path page = Kbuild.repositoryRoot().resolve("docs/kbuild.md");
        List<String> commands = commands(page);
        assertTrue(commands.size() >= 10, () -> "too few commands found in " + page + ": " + commands);
        Path tree = tmp.resolve("linux");
        Kbuild.miniTree(tree);
        Map<String, String> env = Kbuild.treeEnv(Kbuild.patchsitesCommand(tmp.resolve("bin")), true);
        Tools.Result r = runAll(page, commands, tree, env);

        assertTrue(r.out().contains("  PATCHSITES vmlinux.o\n"), r::describe);
        assertTrue(r.out().contains("problems: 0 invalid, 0 missing, 0 extra, 0 duplicates"), r::describe);
        String relocs = Files.readString(tree.resolve("vmlinux.objtool.o.relocs"));
        assertTrue(relocs.lines().count() >= 10 && relocs.contains("__SCK__filter"), "objtool's table: " + relocs);
        Tools.Result prog = Kbuild.run(tree, env, tree.resolve("vmlinux").toString(), "20000");
        assertTrue(prog.rc() == 0 && prog.out().contains("RESULT: all checks passed"), prog::describe);
    }

    @Test
    void cliMdExamplesRunOnFixtures() throws IOException {
        Path page = Kbuild.repositoryRoot().resolve("docs/cli.md");
        List<String> commands = commands(page);
        for (String sub : List.of("scan", "emit", "devirtualize", "stubs", "audit", "plan")) {
            assertTrue(commands.stream().anyMatch(c -> c.startsWith("patchsites " + sub + " ")),
                    () -> "docs/cli.md shows no example of patchsites " + sub + ": " + commands);
        }
        Path dir = tmp.resolve("fixtures");
        Files.createDirectories(dir);
        Path bin = Kbuild.patchsitesCommand(tmp.resolve("bin"));
        Map<String, String> env = new HashMap<>();
        env.put("PATH", Kbuild.pathWith(bin));
        env.put("EX", Kbuild.example().toString());
        Kbuild.bash(dir, env, String.join("\n",
                "cflags=(-O2 -fno-pic -Wall -fcf-protection=none -I\"$EX\")",
                "mkdir -p obj drivers/net",
                "for s in impl.c process.c route.c route_cond.S runtime.c main.c bench.c branch.c retpoline.S; do",
                "    gcc \"${cflags[@]}\" -c \"$EX/$s\" -o \"obj/${s%.*}.o\"",
                "done",
                "gcc \"${cflags[@]}\" -mindirect-branch=thunk-extern -c \"$EX/bench_retpoline.c\" -o obj/bench_retpoline.o",
                // vmlinux.o and kvm.ko: relocatable objects with a .static_call_sites table.
                "ld -r -o vmlinux.o obj/*.o",
                "patchsites emit --target='__SCT__*' --section=.static_call_sites --layout=site-key \\",
                "    --key-prefix=__SCT__=__SCK__ --in-place vmlinux.o",
                "cp vmlinux.o kvm.ko",
                // prog: the linked example program, with its table placed.
                "patchsites stubs --alias=__SCT__filter=filter_default --alias=__SCT__account=account_default \\",
                "    --alias=__SCT__op=op_default --place=.static_call_sites --lds=prog.lds",
                "gcc -no-pie -o prog vmlinux.o -Wl,-T,prog.lds",
                // foo.ko and in.o: calls to __fentry__ (gcc -pg -mfentry).
                "gcc \"${cflags[@]}\" -pg -mfentry -c \"$EX/impl.c\" -o drivers/net/foo.ko",
                "cp drivers/net/foo.ko in.o",
                // built-in.a: a thin archive (kbuild's) of the retpolined objects; thunks.txt its targets.
                "ar cDPrST built-in.a obj/bench_retpoline.o obj/retpoline.o",
                "printf '# retpoline thunks\\n__x86_indirect_thunk_*\\n' > thunks.txt",
                "printf '# WRAPPER=DEFAULT\\n__SCT__filter=filter_default\\n__SCT__op=op_default\\n' > aliases.txt"))
                .ok();
        Tools.Result r = runAll(page, commands, dir, env);
        assertFalse(r.out().isBlank(), r::describe);
    }
}
