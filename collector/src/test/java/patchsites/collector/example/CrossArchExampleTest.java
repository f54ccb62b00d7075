package patchsites.collector.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import patchsites.collector.fixtures.CliClassPath;
import patchsites.fixtures.Tools;

/**
 * The static-call example end to end on every architecture but x86-64 (which
 * {@link ExampleEndToEndTest} covers): {@code examples/static-calls/build.sh OUT CALLS ARCH}
 * compiles with Debian's cross gcc (clang-19 and the example's nolibc for loongarch64), links with
 * {@code ld -r}, runs {@code patchsites emit} and {@code stubs}, links a static program and runs it
 * under qemu-user, where the example's runtime re-targets every call site of {@code __SCT__filter}
 * with the architecture's own branch encoding.
 *
 * <p>The oracle for the number of sites is the architecture's objdump, not patchsites: every
 * branch instruction whose displacement carries a branch relocation against {@code __SCT__filter}
 * in the {@code ld -r} object must have been patched by the runtime, which only knows the sites the
 * emitted table lists. A missing cross toolchain or qemu is a failure, not a skip
 * ({@code scripts/setup.sh} installs them).
 */
class CrossArchExampleTest {
    private static final long TIMEOUT_SECONDS = 300;
    /** Calls per call-cost measurement: small, qemu timings mean nothing and the run must stay short. */
    private static final String BENCH_CALLS = "2000";

    /**
     * One architecture: its name for build.sh, objdump/readelf/ld, the relocation types that sit
     * on a direct branch, how the relocated field lies in the instruction, the symbol text objdump
     * prints for "exactly __SCT__filter", which mnemonics are branches, and which must all appear
     * (a call, a tail call and a conditional tail call where the ABI and the assembler have them).
     */
    record Case(String name, String arch, Map<String, String> env, String objdump, String readelf, List<String> ldR,
            Set<String> relocs, String symbol, ToIntFunction<Insn> fieldOffset, Pattern branch, Set<String> required) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** An instruction of objdump's listing: address, length in bytes, mnemonic, operands. */
    record Insn(long address, int length, String mnemonic, String operands) {}

    private static Case gnu(String name, String arch, Map<String, String> env, String triplet, Set<String> relocs,
            String symbol, ToIntFunction<Insn> fieldOffset, String branch, Set<String> required) {
        return new Case(name, arch, env, triplet + "-objdump", triplet + "-readelf", List.of(triplet + "-ld", "-r"),
                relocs, symbol, fieldOffset, Pattern.compile(branch), required);
    }

    static Stream<Case> cases() {
        Set<String> ppc64 = Set.of("R_PPC64_REL24", "R_PPC64_REL24_NOTOC", "R_PPC64_REL14", "R_PPC64_REL14_BRTAKEN",
                "R_PPC64_REL14_BRNTAKEN");
        String ppcBranch = "b|bl|b[a-z]{2,3}[+-]?";
        Set<String> arm = Set.of("R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_THM_JUMP19", "R_ARM_CALL",
                "R_ARM_JUMP24", "R_ARM_PC24");
        String armBranch = "blx?|b(?:eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)?(?:\\.w)?";
        return Stream.of(
                gnu("i386", "i386", Map.of(), "i686-linux-gnu", Set.of("R_386_PC32", "R_386_PLT32"), "__SCT__filter",
                        i -> i.length() - 4, "call|jmp|j[a-z]{1,3}", Set.of("call", "jmp", "jne")),
                gnu("arm64", "arm64", Map.of(), "aarch64-linux-gnu",
                        Set.of("R_AARCH64_CALL26", "R_AARCH64_JUMP26", "R_AARCH64_CONDBR19", "R_AARCH64_TSTBR14"),
                        "__SCT__filter", i -> 0, "bl|b|b\\.[a-z]{2}|cbn?z|tbn?z", Set.of("bl", "b", "cbnz")),
                gnu("arm (Thumb-2)", "arm", Map.of(), "arm-linux-gnueabihf", arm, "__SCT__filter", i -> 0, armBranch,
                        Set.of("bl", "b.w", "bne.w")),
                gnu("arm (A32)", "arm", Map.of("EXAMPLE_ARM_ISA", "arm"), "arm-linux-gnueabihf", arm, "__SCT__filter",
                        i -> 0, armBranch, Set.of("bl", "b", "bne")),
                // ppc64: no tail calls to other functions on a TOC ABI (bl + nop), the conditional one is asm.
                gnu("ppc64le", "ppc64le", Map.of(), "powerpc64le-linux-gnu", ppc64, "__SCT__filter", i -> 0, ppcBranch,
                        Set.of("bl", "bne")),
                gnu("ppc64", "ppc64", Map.of(), "powerpc64-linux-gnu", ppc64, "__SCT__filter", i -> 0, ppcBranch,
                        Set.of("bl", "bne")),
                gnu("ppc32", "ppc32", Map.of(), "powerpc-linux-gnu",
                        Set.of("R_PPC_REL24", "R_PPC_PLTREL24", "R_PPC_REL14", "R_PPC_REL14_BRTAKEN", "R_PPC_REL14_BRNTAKEN"),
                        "__SCT__filter", i -> 0, ppcBranch, Set.of("bl", "b", "bne")),
                // riscv64: the call/tail pair is relocated on its auipc (rd ra: call, t1: tail); gas turns
                // the hand-written `bnez a0, __SCT__filter` into `beqz` over `j __SCT__filter`.
                gnu("riscv64", "riscv64", Map.of(), "riscv64-linux-gnu",
                        Set.of("R_RISCV_CALL_PLT", "R_RISCV_CALL", "R_RISCV_JAL", "R_RISCV_BRANCH", "R_RISCV_RVC_JUMP",
                                "R_RISCV_RVC_BRANCH"),
                        "__SCT__filter", i -> 0, "auipc|jal|j|b[a-z]{2,3}|c\\.j|c\\.bn?ez",
                        Set.of("auipc ra", "auipc t1", "j")),
                // s390x: the displacement is at +2 and counts from the instruction, hence the addend +2;
                // larl carries the same relocation and is no branch.
                gnu("s390x", "s390x", Map.of(), "s390x-linux-gnu",
                        Set.of("R_390_PLT32DBL", "R_390_PC32DBL", "R_390_PLT16DBL", "R_390_PC16DBL"), "__SCT__filter+0x2",
                        i -> 2, "brasl|bras|jg[a-z]*|brcl|j[a-z]*", Set.of("brasl", "jg", "jgne")),
                new Case("loongarch64", "loongarch64", Map.of(), "llvm-objdump-19", "llvm-readelf-19",
                        List.of("ld.lld-19", "-r"), Set.of("R_LARCH_B26", "R_LARCH_B21", "R_LARCH_B16", "R_LARCH_CALL36"),
                        "__SCT__filter", i -> 0,
                        Pattern.compile("bl|b|beqz|bnez|beq|bne|blt|bge|bltu|bgeu|pcaddu18i"), Set.of("bl", "b", "bnez")));
    }

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void emitStubsLinkRunUnderQemuPatchesEverySite(Case c) {
        Path out = tmp.resolve("out");
        Tools.Result build = buildExample(c, out, Map.of());
        assertEquals(0, build.rc(), () -> "build.sh failed: " + build.describe());
        String output = build.out();
        assertTrue(output.contains("RESULT: all checks passed"), () -> "the program's own checks: " + build.describe());

        // The oracle: objdump's branches to __SCT__filter, in the ld -r object before and after emit.
        Path emitted = out.resolve("static-calls.o");
        Map<String, Integer> before = filterBranches(c, out.resolve("static-calls.pre-emit.o"));
        Map<String, Integer> after = filterBranches(c, emitted);
        assertEquals(before, after, "emit changed the code's relocations to __SCT__filter");
        int oracle = after.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(after.keySet().containsAll(c.required()),
                () -> "objdump found too few kinds of branches to __SCT__filter: " + after + ", expected " + c.required());

        long defaultBefore = ExampleRuns.checkPatchedRun(output, oracle, after);

        // The emitted object passes the architecture's own readelf and ld.
        Tools.Result readelf = run(Map.of(), c.readelf(), "-a", "-W", emitted.toString());
        assertEquals(0, readelf.rc(), readelf::describe);
        assertEquals("", readelf.err(), () -> "readelf complains about the emitted object: " + readelf.describe());
        assertTrue(readelf.out().contains(".rela.static_call_sites") || readelf.out().contains(".rel.static_call_sites"),
                "no relocation section for .static_call_sites in the emitted object");
        List<String> ld = new ArrayList<>(c.ldR());
        ld.addAll(List.of("-o", tmp.resolve("relinked.o").toString(), emitted.toString()));
        Tools.Result relink = run(Map.of(), ld.toArray(String[]::new));
        assertEquals(0, relink.rc(), () -> "ld -r of the emitted object: " + relink.describe());
        assertEquals("", relink.err(), () -> "ld -r of the emitted object: " + relink.describe());

        planApplyRetargetsTheLinkedProgram(c, out.resolve("static-calls"), defaultBefore);
    }

    private static final Map<String, String> QEMU = Map.of("i386", "qemu-i386-static", "arm64", "qemu-aarch64-static",
            "arm", "qemu-arm-static", "ppc64le", "qemu-ppc64le-static", "ppc64", "qemu-ppc64-static", "ppc32",
            "qemu-ppc-static", "riscv64", "qemu-riscv64-static", "s390x", "qemu-s390x-static", "loongarch64",
            "qemu-loongarch64-static");

    /**
     * {@code patchsites plan --apply} patches a copy of the linked program offline (ppc64 ELFv1:
     * through the function descriptor; ELFv2: to the local entry); the copy, run under qemu,
     * calls the new implementation from every site without patching anything itself.
     */
    private void planApplyRetargetsTheLinkedProgram(Case c, Path program, long workloadCalls) {
        Path patched = tmp.resolve("static-calls.patched");
        java.io.StringWriter pout = new java.io.StringWriter(), perr = new java.io.StringWriter();
        int rc = patchsites.collector.cli.Main.run(new java.io.PrintWriter(pout), new java.io.PrintWriter(perr), "plan",
                "--section=.static_call_sites", "--layout=site-key", "--key=__SCK__filter", "--to=filter_strict",
                "--apply=" + patched, program.toString());
        assertEquals(0, rc, () -> "plan --apply: " + pout + perr);
        Tools.Result original = run(Map.of(), QEMU.get(c.arch()), program.toString(), "--workload");
        assertEquals(0, original.rc(), original::describe);
        assertTrue(original.out().contains("filter_default " + workloadCalls + " calls, filter_strict 0 calls"),
                original::describe);
        Tools.Result copy = run(Map.of(), QEMU.get(c.arch()), patched.toString(), "--workload");
        assertEquals(0, copy.rc(), copy::describe);
        assertTrue(copy.out().contains("filter_default 0 calls, filter_strict " + workloadCalls + " calls"),
                () -> "the plan-patched copy: " + copy.describe() + "\nplan said:\n" + pout);
    }

    /**
     * riscv64 must be linked with --no-relax (build.sh's default), as the kernel links vmlinux
     * when it patches call sites: linker relaxation shortens auipc+jalr pairs to jal and deletes
     * the bytes, and the table's section-relative entries (R_RISCV_32_PCREL against the section
     * symbol + the pre-relaxation offset) then point at the wrong instructions. The runtime
     * refuses such entries and the program fails. If this test fails because the program passes,
     * the table has become relaxation-safe: update docs/example.md and this test.
     */
    @Test
    void riscvRelaxationLeavesTheTableBehind() {
        Case riscv = cases().filter(c -> c.arch().equals("riscv64")).findFirst().orElseThrow();
        Tools.Result build = buildExample(riscv, tmp.resolve("relaxed"), Map.of("EXAMPLE_RISCV_RELAX", "1"));
        assertNotEquals(0, build.rc(), () -> "the relaxed riscv64 program passed: " + build.describe());
        assertTrue(build.out().contains("does not point at a call"), build::describe);
        assertTrue(build.out().contains("runtime: refusing to patch"), build::describe);
        assertTrue(build.out().contains("RESULT: FAILED"), build::describe);
    }

    private Tools.Result buildExample(Case c, Path out, Map<String, String> extraEnv) {
        Path buildSh = ExampleRuns.repositoryRoot().resolve("examples/static-calls/build.sh");
        Map<String, String> env = new HashMap<>(c.env());
        env.putAll(extraEnv);
        env.put("PATCHSITES_CLASSPATH", CliClassPath.current());
        env.put("PATCHSITES_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return run(env, "bash", buildSh.toString(), out.toString(), BENCH_CALLS, c.arch());
    }

    /** {@code   addr:<tab>bytes<tab>mnemonic operands}, GNU ({@code 94000000}, {@code e8 fc ff ff ff}) and LLVM. */
    private static final Pattern INSN = Pattern.compile("^\\s*([0-9a-f]+):\\s+((?:[0-9a-f]{2,8} )+)\\s*\\t(\\S+)\\s*(.*)$");
    /** A relocation line under its instruction: {@code <tabs>addr: R_TYPE<tab>symbol[+-addend]}. */
    private static final Pattern RELOC = Pattern.compile("^\\s+([0-9a-f]+):\\s+(R_[A-Z0-9_]+)\\s+(\\S+)\\s*$");
    private static final Pattern SECTION = Pattern.compile("^Disassembly of section (\\S+):$");

    /**
     * Branches whose displacement is relocated against exactly {@code __SCT__filter}, by mnemonic
     * (riscv's auipc with its destination register). A relocation of another type, on an
     * instruction that is no branch (an address load: adrp, lui, larl, lis, movw...), or not at
     * the branch's displacement field is not a call site.
     */
    private Map<String, Integer> filterBranches(Case c, Path object) {
        Tools.Result objdump = run(Map.of(), c.objdump(), "-dr", object.toString());
        assertEquals(0, objdump.rc(), objdump::describe);
        Map<String, Insn> insns = new HashMap<>();
        List<String[]> relocs = new ArrayList<>();
        String section = "";
        for (String line : objdump.out().split("\n")) {
            Matcher m;
            if ((m = SECTION.matcher(line)).matches()) {
                section = m.group(1);
            } else if ((m = RELOC.matcher(line)).matches()) {
                relocs.add(new String[] {section, m.group(1), m.group(2), m.group(3)});
            } else if ((m = INSN.matcher(line)).matches()) {
                long at = Long.parseLong(m.group(1), 16);
                int length = m.group(2).replace(" ", "").length() / 2;
                insns.put(section + ":" + at, new Insn(at, length, m.group(3), m.group(4)));
            }
        }
        Map<String, Integer> byMnemonic = new TreeMap<>();
        for (String[] r : relocs) {
            if (!r[3].equals(c.symbol()) || !c.relocs().contains(r[2])) {
                continue;
            }
            long field = Long.parseLong(r[1], 16);
            Insn insn = null;
            for (int back = 0; back <= 2 && insn == null; back++) { // the field is at +0, +1 (x86) or +2
                Insn candidate = insns.get(r[0] + ":" + (field - back));
                if (candidate != null && c.fieldOffset().applyAsInt(candidate) == back) {
                    insn = candidate;
                }
            }
            if (insn == null || !c.branch().matcher(insn.mnemonic()).matches()) {
                continue; // not a branch's displacement: a reference
            }
            String key = insn.mnemonic().equals("auipc") ? "auipc " + insn.operands().split(",")[0] : insn.mnemonic();
            byMnemonic.merge(key, 1, Integer::sum);
        }
        return byMnemonic;
    }

    private Tools.Result run(Map<String, String> env, String... cmd) {
        return ExampleRuns.run(tmp, TIMEOUT_SECONDS, env, cmd);
    }
}
