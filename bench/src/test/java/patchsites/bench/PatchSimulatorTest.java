package patchsites.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import patchsites.model.Transaction;

/** Every protocol leaves every site re-targeted with its opcode intact, at its documented sync cost. */
class PatchSimulatorTest {
    @ParameterizedTest
    @EnumSource(PatchSimulator.Protocol.class)
    void everySiteRetargetedAtItsCost(PatchSimulator.Protocol p) {
        int n = 1000;
        TextImage text = new TextImage(n * 8);
        int[] insn = new int[n], field = new int[n], rel = new int[n];
        byte[] opcode = new byte[n];
        for (int i = 0; i < n; i++) {
            insn[i] = i * 8 + (i % 4); // every alignment
            field[i] = insn[i] + 1;
            rel[i] = 0x01020304 * (i + 1);
            opcode[i] = (byte) 0xe8;
            text.put(insn[i], new byte[] {(byte) 0xe8, 0, 0, 0, 0});
        }
        PatchSimulator sim = new PatchSimulator(text);
        sim.apply(p, n, insn, field, rel, opcode);
        for (int i = 0; i < n; i++) {
            assertEquals((byte) 0xe8, text.get(insn[i]), "opcode of site " + i);
            assertEquals(rel[i], text.fetchField32(field[i]), "rel32 of site " + i);
        }
        long expected = p == PatchSimulator.Protocol.ATOMIC ? 0
                : p == PatchSimulator.Protocol.BREAKPOINT_BATCHED ? 3 * ((n + Transaction.BATCH - 1) / Transaction.BATCH) : 3L * n;
        assertEquals(expected, sim.syncRounds());
    }
}
