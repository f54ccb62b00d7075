package patchsites.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import patchsites.isa.SiteKind;

/**
 * The verdicts of each architecture's rules (docs/architectures.md, "Runtime model"), and the
 * range edges of each branch form, on hand-encoded instructions. The encoders and decoders
 * themselves are checked against the cross objdump on linked code by the collector's
 * {@code CrossRulesTest}.
 */
class ArchRulesTest {
    private static byte[] le32(long... words) {
        byte[] b = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++) {
            for (int k = 0; k < 4; k++) {
                b[4 * i + k] = (byte) (words[i] >>> (8 * k));
            }
        }
        return b;
    }

    private static byte[] be32(long... words) {
        byte[] b = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++) {
            for (int k = 0; k < 4; k++) {
                b[4 * i + k] = (byte) (words[i] >>> (24 - 8 * k));
            }
        }
        return b;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static Assessment at(PatchRules r, byte[] insn, long address, long newTarget) {
        return r.assess(insn, null, Placement.exact(address), OptionalLong.of(newTarget));
    }

    /** In reach exactly up to [lo, hi] (displacement from the instruction), refused one step beyond. */
    private static void reach(PatchRules r, byte[] insn, long address, long lo, long hi, long step) {
        for (long d : new long[] {lo, hi}) {
            assertEquals(address + d, r.target(r.retarget(insn, address, address + d), address), () -> "edge " + d);
            assertTrue(at(r, insn, address, address + d).verdict() != Verdict.OUT_OF_RANGE, () -> "edge " + d);
        }
        for (long d : new long[] {lo - step, hi + step}) {
            assertThrows(IllegalArgumentException.class, () -> r.retarget(insn, address, address + d), () -> "beyond " + d);
            Assessment a = at(r, insn, address, address + d);
            assertEquals(Verdict.OUT_OF_RANGE, a.verdict(), () -> "beyond " + d);
        }
    }

    @Test
    void arm64IsAtomicForEveryFormAndRangesAreTheEncodings() {
        Arm64Rules r = new Arm64Rules();
        long a = 0x40_0000_0000L;
        byte[] bl = le32(0x94000000L), b = le32(0x14000000L), bne = le32(0x54000001L), cbz = le32(0xb4000000L),
                tbz = le32(0x36000000L);
        assertEquals(SiteKind.CALL, r.decodeKind(bl));
        assertEquals(SiteKind.TAIL, r.decodeKind(b));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(bne));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(cbz));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(tbz));
        for (byte[] i : new byte[][] {bl, b, bne, cbz, tbz}) {
            assertEquals(Verdict.ATOMIC, at(r, i, a, a + 64).verdict());
            assertEquals(Verdict.ATOMIC, r.assess(i, null, Placement.relocatable(0x24, 4), OptionalLong.empty()).verdict());
        }
        reach(r, bl, a, -(1L << 27), (1L << 27) - 4, 4);
        reach(r, b, a, -(1L << 27), (1L << 27) - 4, 4);
        reach(r, bne, a, -(1L << 20), (1L << 20) - 4, 4);
        reach(r, cbz, a, -(1L << 20), (1L << 20) - 4, 4);
        reach(r, tbz, a, -(1L << 15), (1L << 15) - 4, 4);
        assertTrue(at(r, bl, a, a + (1L << 27)).reason().contains("128 MiB"));
    }

    @Test
    void armIsAlwaysStopMachineAndRangesDifferPerState() {
        ArmRules r = new ArmRules(ByteOrder.LITTLE_ENDIAN);
        long a = 0x4000_0000L;
        byte[] bl = le32(0xeb000000L), b = le32(0xea000000L), bne = le32(0x1a000000L);
        byte[] tbl = bytes(0x00, 0xf0, 0x00, 0xf8), tbw = bytes(0x00, 0xf0, 0x00, 0xb8), tbne = bytes(0x40, 0xf0, 0x00, 0x80);
        assertEquals(SiteKind.CALL, r.decodeKind(bl));
        assertEquals(SiteKind.TAIL, r.decodeKind(b));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(bne));
        assertEquals(SiteKind.CALL, r.decodeKind(tbl));
        assertEquals(SiteKind.TAIL, r.decodeKind(tbw));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(tbne));
        for (byte[] i : new byte[][] {bl, b, bne, tbl, tbw, tbne}) {
            assertEquals(Verdict.STOP_MACHINE, at(r, i, a, a + 64).verdict());
        }
        // A Thumb BL whose second halfword has J2 = 1 and imm11[10:9] = 01 reads, as one
        // little-endian word, like an A32 branch: only the state tells them apart.
        ArmRules thumb = r.forState('t'), arm = r.forState('a');
        for (long d : new long[] {0x404, 0x4004, -0x3fc, 0x500000, -0x500000}) {
            byte[] t = thumb.retarget(tbl, a, a + d);
            assertEquals(a + d, thumb.target(t, a), () -> "Thumb bl to +" + d);
            assertEquals(SiteKind.CALL, thumb.decodeKind(t));
            assertEquals(a + d, r.forState('t').target(t, a), "the guessing rules told the state");
        }
        assertNull(thumb.decodeKind(bl), "an A32 word is no Thumb branch");
        assertNull(arm.decodeKind(tbl), "a Thumb pair is no A32 branch");
        reach(arm, bl, a, -(1L << 25) + 8, (1L << 25) + 4, 4);
        reach(r, bl, a, -(1L << 25) + 8, (1L << 25) + 4, 4);
        reach(r, bne, a, -(1L << 25) + 8, (1L << 25) + 4, 4);
        reach(thumb, tbl, a, -(1L << 24) + 4, (1L << 24) + 2, 2);
        reach(thumb, tbw, a, -(1L << 24) + 4, (1L << 24) + 2, 2);
        reach(thumb, tbne, a, -(1L << 20) + 4, (1L << 20) + 2, 2);
    }

    @Test
    void powerIsAtomicAndPpc64NamesTheTocWhenThereIsNoRestoreSlot() {
        Ppc64Rules le = new Ppc64Rules(true, true);
        long a = 0x40_0000_0000L;
        byte[] blNop = le32(0x48000001L, 0x60000000L), bl = le32(0x48000001L), b = le32(0x48000000L),
                bne = le32(0x40820000L);
        assertEquals(8, le.branchLength(blNop));
        assertEquals(4, le.branchLength(le32(0x48000001L, 0x7c0802a6L)));
        Assessment pair = at(le, blNop, a, a + 0x1000);
        assertEquals(Verdict.ATOMIC, pair.verdict());
        assertFalse(pair.reason().contains("TOC"), pair::reason);
        Assessment alone = at(le, bl, a, a + 0x1000);
        assertEquals(Verdict.ATOMIC, alone.verdict());
        assertTrue(alone.reason().contains("TOC"), alone::reason);
        assertFalse(at(le, b, a, a + 0x1000).reason().contains("TOC"), "a tail call needs no TOC restore");
        reach(le, blNop, a, -(1L << 25), (1L << 25) - 4, 4);
        reach(le, b, a, -(1L << 25), (1L << 25) - 4, 4);
        reach(le, bne, a, -(1L << 15), (1L << 15) - 4, 4);

        Ppc64Rules be = new Ppc64Rules(false, false);
        assertEquals(SiteKind.CALL, be.decodeKind(be32(0x48000001L, 0x60000000L)));
        assertEquals(a + 0x100, be.target(be.retarget(be32(0x48000001L), a, a + 0x100), a));

        Ppc32Rules p32 = new Ppc32Rules();
        byte[] bl32 = be32(0x48000001L);
        Assessment v = at(p32, bl32, 0x4000_0000L, 0x4000_1000L);
        assertEquals(Verdict.ATOMIC, v.verdict());
        assertFalse(v.reason().contains("TOC"), v::reason);
        reach(p32, bl32, 0x4000_0000L, -(1L << 25), (1L << 25) - 4, 4);
        reach(p32, be32(0x40820000L), 0x4000_0000L, -(1L << 15), (1L << 15) - 4, 4);
    }

    @Test
    void riscvPairIsStopMachineUnlessOnlyAnAlignedJalrChanges() {
        Riscv64Rules r = new Riscv64Rules();
        long a = 0x40_0000_0000L;
        byte[] call = le32(0x00000097L, 0x000080e7L), tail = le32(0x00000317L, 0x00030067L), jal = le32(0x000000efL),
                j = le32(0x0000006fL), beq = le32(0x00b50063L), cj = bytes(0x01, 0xa0), cbeqz = bytes(0x01, 0xc1);
        assertEquals(SiteKind.CALL, r.decodeKind(call));
        assertEquals(SiteKind.TAIL, r.decodeKind(tail));
        assertEquals(SiteKind.CALL, r.decodeKind(jal));
        assertEquals(SiteKind.TAIL, r.decodeKind(j));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(beq));
        assertEquals(SiteKind.TAIL, r.decodeKind(cj));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(cbeqz));

        assertEquals(Verdict.ATOMIC, at(r, call, a, a + 0x10).verdict(), "auipc kept, jalr aligned");
        assertEquals(Verdict.STOP_MACHINE, at(r, call, a, a + 0x10000).verdict(), "auipc changes");
        assertEquals(Verdict.STOP_MACHINE, at(r, call, a + 2, a + 0x12).verdict(), "jalr only 2-byte aligned");
        assertEquals(Verdict.STOP_MACHINE, r.assess(call, null, Placement.relocatable(0, 4), OptionalLong.empty()).verdict(),
                "without a new target the pair may have to change");
        assertEquals(Verdict.ATOMIC, at(r, jal, a, a + 0x100).verdict());
        Assessment misaligned = r.assess(jal, null, Placement.relocatable(2, 2), OptionalLong.empty());
        assertEquals(Verdict.STOP_MACHINE, misaligned.verdict());
        assertTrue(misaligned.placementDependent());
        assertEquals(Verdict.ATOMIC, r.assess(jal, null, Placement.relocatable(8, 4), OptionalLong.empty()).verdict());
        assertEquals(Verdict.ATOMIC, at(r, cj, a + 2, a + 0x10).verdict(), "a 2-byte instruction is naturally aligned");

        reach(r, call, a, -(1L << 31) - 0x800, (1L << 31) - 0x802, 2);
        reach(r, jal, a, -(1L << 20), (1L << 20) - 2, 2);
        reach(r, beq, a, -(1L << 12), (1L << 12) - 2, 2);
        reach(r, cj, a, -(1L << 11), (1L << 11) - 2, 2);
        reach(r, cbeqz, a, -(1L << 8), (1L << 8) - 2, 2);
    }

    @Test
    void s390xIsAtomicOnlyWhenTheDisplacementIsAligned() {
        S390xRules r = new S390xRules();
        byte[] brasl = bytes(0xc0, 0xe5, 0, 0, 0, 0), jg = bytes(0xc0, 0xf4, 0, 0, 0, 0), jgne = bytes(0xc0, 0x74, 0, 0, 0, 0),
                bras = bytes(0xa7, 0xe5, 0, 0);
        assertEquals(SiteKind.CALL, r.decodeKind(brasl));
        assertEquals(SiteKind.TAIL, r.decodeKind(jg));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(jgne));
        assertNull(r.decodeKind(bytes(0xc0, 0x04, 0, 0, 0, 0)), "brcl 0 is a nop");
        long a = 0x40_0000_0002L; // displacement at a + 2: 4-byte aligned
        assertEquals(Verdict.ATOMIC, at(r, brasl, a, a + 0x100).verdict());
        assertEquals(Verdict.STOP_MACHINE, at(r, brasl, a + 2, a + 0x100).verdict());
        assertEquals(Verdict.ATOMIC, r.assess(brasl, null, Placement.relocatable(6, 8), OptionalLong.empty()).verdict());
        Assessment dep = r.assess(brasl, null, Placement.relocatable(0, 2), OptionalLong.empty());
        assertEquals(Verdict.STOP_MACHINE, dep.verdict());
        assertTrue(dep.placementDependent());
        assertEquals(Verdict.ATOMIC, at(r, bras, a + 2, a + 0x100).verdict(), "a 16-bit displacement is halfword aligned");
        reach(r, brasl, a, -(1L << 32), (1L << 32) - 2, 2);
        reach(r, bras, a, -(1L << 16), (1L << 16) - 2, 2);
    }

    @Test
    void loongarchIsAtomicForOneWordAndForAPairWhoseHighPartStays() {
        LoongArch64Rules r = new LoongArch64Rules();
        long a = 0x40_0000_0000L;
        byte[] bl = le32(0x54000000L), b = le32(0x50000000L), beqz = le32(0x40000080L), bne = le32(0x5c000085L),
                call36 = le32(0x1e000001L, 0x4c000021L), tail36 = le32(0x1e000014L, 0x4c000280L);
        assertEquals(SiteKind.CALL, r.decodeKind(bl));
        assertEquals(SiteKind.TAIL, r.decodeKind(b));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(beqz));
        assertEquals(SiteKind.COND_TAIL, r.decodeKind(bne));
        assertEquals(SiteKind.CALL, r.decodeKind(call36));
        assertEquals(SiteKind.TAIL, r.decodeKind(tail36));
        assertEquals(Verdict.ATOMIC, at(r, bl, a, a + 0x100).verdict());
        assertEquals(Verdict.ATOMIC, at(r, call36, a, a + 0x100).verdict(), "pcaddu18i kept: only jirl changes");
        assertEquals(Verdict.STOP_MACHINE, at(r, call36, a, a + 0x100_0000).verdict(), "pcaddu18i changes");
        reach(r, bl, a, -(1L << 27), (1L << 27) - 4, 4);
        reach(r, beqz, a, -(1L << 22), (1L << 22) - 4, 4);
        reach(r, bne, a, -(1L << 17), (1L << 17) - 4, 4);
        reach(r, call36, a, -(1L << 37) - 0x20000, (1L << 37) - 0x20000 - 4, 4);
    }

    @Test
    void i386WrapsAroundSoNothingIsOutOfRange() {
        I386Rules r = new I386Rules(X86Policy.LINUX);
        byte[] call = bytes(0xe8, 0, 0, 0, 0);
        Assessment far = at(r, call, 0x1000, 0xfff0_0000L);
        assertEquals(Verdict.BREAKPOINT, far.verdict());
        assertEquals(0xfff0_0000L, r.target(r.retarget(call, 0x1000, 0xfff0_0000L), 0x1000) & 0xffffffffL);
    }
}
