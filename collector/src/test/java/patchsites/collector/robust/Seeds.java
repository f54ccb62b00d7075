package patchsites.collector.robust;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import patchsites.collector.cli.Main;
import patchsites.collector.corpus.Corpus;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.fixtures.Tools;

/**
 * The seed corpus of the fuzzer: small objects gcc builds at test time (kernel code model, mcount,
 * retpoline and return thunks, function sections, i386 and x32 ELF32, an archive), the same
 * objects with the four kernel tables written by {@code emit} (so {@code audit} has something to
 * read), and a few small modules of the kernel-module corpus when it is present.
 */
final class Seeds {
    /** One seed: a name for messages and the file's bytes. */
    record Seed(String name, byte[] bytes) {}

    /** C source of the gcc-built seeds: static calls, indirect calls (thunks), local targets, data refs. */
    static final String SEED_C = """
            extern long __SCT__foo(long);
            extern long __SCT__bar(long);
            extern long other(long);
            extern long (*hook)(long);
            long __SCK__foo, __SCK__bar;
            static __attribute__((noipa)) long __SCT__local(long x) { return other(x) * 3; }
            long caller(long x) { return __SCT__foo(x) + 1; }
            long tail(long x) { return __SCT__bar(x + 2); }
            long indirect(long x) { return hook(x) + hook(x + 1); }
            long calls_local(long x) { return __SCT__local(x) - 1; }
            __attribute__((section(".text.unlikely"), noinline)) long cold(long x) { return __SCT__foo(x ^ 5) + 2; }
            void *ref = &__SCT__foo;
            long (*local_ref)(long) = __SCT__local;
            """;

    /** The kernel's flags for what patchsites reads: every table's source in one object. */
    static final String[] KERNEL_FLAGS = {"-O2", "-fno-pic", "-mcmodel=kernel", "-fno-asynchronous-unwind-tables",
        "-pg", "-mrecord-mcount", "-mfentry", "-mindirect-branch=thunk-extern", "-mfunction-return=thunk-extern",
        "-mindirect-branch-cs-prefix"};

    /** The four kernel tables and how emit and audit write and read them. */
    record Table(String section, String layout, String[] targets, String keyPrefix) {
        List<String> args() {
            List<String> a = new ArrayList<>();
            a.add("--section=" + section);
            a.add("--layout=" + layout);
            for (String t : targets) {
                a.add("--target=" + t);
            }
            if (keyPrefix != null) {
                a.add("--key-prefix=" + keyPrefix);
            }
            return a;
        }
    }

    static final List<Table> TABLES = List.of(
            new Table(".static_call_sites", "site-key", new String[] {"__SCT__*"}, "__SCT__=__SCK__"),
            new Table(".retpoline_sites", "site", new String[] {"__x86_indirect_thunk_*"}, null),
            new Table(".return_sites", "site", new String[] {"__x86_return_thunk"}, null),
            new Table("__mcount_loc", "abs", new String[] {"__fentry__"}, null));

    /** e_machine values of the architectures patchsites reads, by ELF class. */
    static final int[] MACHINES_64 = {62, 183, 21, 243, 22, 258}, MACHINES_32 = {3, 40, 20};

    private Seeds() {}

    static byte[] withMachine(byte[] elf, int machine) {
        byte[] b = elf.clone();
        boolean little = b[5] == 1;
        b[18] = (byte) (little ? machine : machine >> 8);
        b[19] = (byte) (little ? machine >> 8 : machine);
        return b;
    }

    /** Every seed: {@link #compiled} plus {@link #derived}. */
    static List<Seed> build(Path dir, int modules, long maxModuleBytes) throws IOException {
        List<Seed> seeds = compiled(dir);
        seeds.addAll(derived(dir, seeds, modules, maxModuleBytes));
        return seeds;
    }

    /**
     * The objects the toolchains build: gcc (x86-64 in several flavours, i386, x32, the branch-form
     * fixture), every cross compiler that is installed (scripts/setup.sh installs them), an archive.
     * Uses no class of patchsites itself, so that the fuzzer's agent, installed later, instruments
     * every one of them for coverage.
     */
    static List<Seed> compiled(Path dir) throws IOException {
        List<Seed> seeds = new ArrayList<>();
        Path c = Tools.write(dir, "seed.c", SEED_C);
        Path kernel = Tools.gcc(c, "kernel.o", concat(KERNEL_FLAGS, "-ffunction-sections"));
        Path plain = Tools.gcc(c, "plain.o", "-O2", "-fno-asynchronous-unwind-tables");
        Path pic = Tools.gcc(c, "pic.o", "-O2", "-fpic", "-g");
        Path i386 = Tools.gcc(c, "i386.o", "-m32", "-O2", "-fno-pic", "-pg", "-mfentry", "-mrecord-mcount");
        Path x32 = Tools.gcc(c, "x32.o", "-mx32", "-O2");
        Path branches = Tools.gcc(Tools.resource("fixtures/x86_branches.s", dir), "branches.o");
        // Calls through ops structures with defaults: what devirtualize rewrites.
        Path pointers = Tools.gcc(Tools.resource("fixtures/x86_pointers.c", dir), "pointers.o", KERNEL_FLAGS);
        for (Path p : List.of(kernel, plain, pic, i386, x32, branches, pointers)) {
            seeds.add(new Seed(p.getFileName().toString(), Files.readAllBytes(p)));
        }
        for (String[] cc : CROSS) {
            Path obj = cross(c, cc);
            if (obj != null) {
                seeds.add(new Seed(obj.getFileName().toString(), Files.readAllBytes(obj)));
            }
        }
        Tools.ok(dir, "ar", "rcS", "lib.a", "plain.o", "branches.o");
        seeds.add(new Seed("lib.a", Files.readAllBytes(dir.resolve("lib.a"))));
        return seeds;
    }

    /**
     * Seeds made from the compiled ones with patchsites: each object with all four tables written
     * by emit where emit can (input for audit, a table to replace for emit); the x86-64 and i386
     * objects under every other e_machine of their ELF class; and the smallest corpus modules.
     */
    static List<Seed> derived(Path dir, List<Seed> compiled, int modules, long maxModuleBytes) throws IOException {
        List<Seed> seeds = new ArrayList<>();
        for (Seed s : compiled) {
            if (!s.name().endsWith(".o") || s.name().equals("plain.o") || s.name().equals("pic.o")) {
                continue;
            }
            Path t = Files.write(dir.resolve("tables-" + s.name()), s.bytes());
            boolean any = false;
            for (Table table : TABLES) {
                any |= tryEmit(t, table);
            }
            if (any) {
                seeds.add(new Seed(t.getFileName().toString(), Files.readAllBytes(t)));
            }
        }
        for (Seed s : compiled) {
            if (s.name().equals("kernel.o")) {
                for (int machine : MACHINES_64) {
                    seeds.add(new Seed("kernel.o as e_machine " + machine, withMachine(s.bytes(), machine)));
                }
            } else if (s.name().equals("i386.o")) {
                for (int machine : MACHINES_32) {
                    seeds.add(new Seed("i386.o as e_machine " + machine, withMachine(s.bytes(), machine)));
                }
            }
        }
        if (modules > 0) {
            seeds.addAll(corpusModules(modules, maxModuleBytes));
        }
        return seeds;
    }

    /**
     * The smallest corpus modules that hold a {@code .static_call_sites} table, and as many of the
     * smallest that hold the other tables: real kbuild objects with every table in them.
     */
    static List<Seed> corpusModules(int count, long maxBytes) throws IOException {
        List<Path> all = new ArrayList<>(Corpus.modules());
        all.removeIf(p -> size(p) > maxBytes);
        all.sort(Comparator.comparingLong(Seeds::size).thenComparing(Path::toString));
        List<Seed> out = new ArrayList<>();
        int withStaticCalls = 0;
        for (Path p : all) {
            if (out.size() >= count) {
                break;
            }
            boolean sc = hasSection(p, ".static_call_sites");
            if (sc && withStaticCalls >= (count + 1) / 2) {
                continue;
            }
            if (!sc && out.size() - withStaticCalls >= count / 2) {
                continue;
            }
            withStaticCalls += sc ? 1 : 0;
            out.add(new Seed(p.getFileName().toString(), Files.readAllBytes(p)));
        }
        return out;
    }

    private static boolean hasSection(Path p, String name) throws IOException {
        try (Source s = Source.map(p)) {
            ElfFile elf = ElfFile.parse(s);
            for (int i = 1; i < elf.sectionCount(); i++) {
                if (elf.sectionName(i).equals(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Compiler and target flags of the cross toolchains; the first word must be on PATH. */
    static final String[][] CROSS = {
        {"i686-linux-gnu-gcc"}, {"aarch64-linux-gnu-gcc"}, {"arm-linux-gnueabihf-gcc"}, {"arm-linux-gnueabihf-gcc", "-marm"},
        {"powerpc64le-linux-gnu-gcc"}, {"powerpc64-linux-gnu-gcc"}, {"powerpc-linux-gnu-gcc"}, {"riscv64-linux-gnu-gcc"},
        {"s390x-linux-gnu-gcc"}, {"clang-19", "--target=loongarch64-linux-gnu"}};

    /** SEED_C built by one cross toolchain, or null when it is not installed or fails. */
    private static Path cross(Path source, String[] cc) {
        if (!onPath(cc[0])) {
            return null;
        }
        String name = cc[0].endsWith("-gcc") ? cc[0].substring(0, cc[0].length() - 4) : cc[1].replace("--target=", "");
        String out = name + (cc.length > 1 && cc[0].endsWith("-gcc") ? cc[1] : "") + ".o";
        List<String> cmd = new ArrayList<>(java.util.Arrays.asList(cc));
        cmd.addAll(List.of("-O2", "-fno-pic", "-ffunction-sections", "-fno-asynchronous-unwind-tables", "-c",
                source.getFileName().toString(), "-o", out));
        Tools.Result r = Tools.run(source.getParent(), cmd.toArray(String[]::new));
        return r.rc() == 0 ? source.getParent().resolve(out) : null;
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    private static boolean tryEmit(Path file, Table table) {
        List<String> args = new ArrayList<>(List.of("emit", "--in-place"));
        args.addAll(table.args());
        args.add(file.toString());
        return Main.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                args.toArray(String[]::new)) == 0;
    }

    static void emit(Path file, Table table) {
        List<String> args = new ArrayList<>(List.of("emit", "--in-place"));
        args.addAll(table.args());
        args.add(file.toString());
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        if (rc != 0) {
            throw new AssertionError("seed " + file + ": emit " + table.section() + " exited " + rc + ": " + err);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
