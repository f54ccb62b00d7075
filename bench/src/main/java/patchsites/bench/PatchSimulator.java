package patchsites.bench;

import java.lang.invoke.VarHandle;
import patchsites.model.Transaction;

/**
 * Applies a re-targeting transaction to a {@link TextImage} the way each protocol would: one
 * store per site ({@code atomic}), or x86's three-phase breakpoint protocol, batched as {@code
 * text_poke_queue()}/{@code text_poke_finish()} do (up to {@link patchsites.model.Transaction#BATCH} sites per
 * batch) or one site at a time as {@code __static_call_update()} does. A sync round (the IPI that
 * runs {@code sync_core()} on every CPU) is modelled as a full fence and counted; its real cost is
 * microseconds per round, which is the point of counting them.
 */
public final class PatchSimulator {
    public enum Protocol {
        ATOMIC("atomic"), BREAKPOINT_BATCHED("breakpoint-batched"), BREAKPOINT_ONE_BY_ONE("breakpoint-one-by-one");

        private final String label;

        Protocol(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private static final byte INT3 = (byte) 0xcc;

    private final TextImage text;
    private long syncRounds;

    public PatchSimulator(TextImage text) {
        this.text = text;
    }

    public long syncRounds() {
        return syncRounds;
    }

    private void sync() {
        VarHandle.fullFence();
        syncRounds++;
    }

    /**
     * Re-targets {@code count} x86 rel32 sites: {@code insn[i]} is the opcode byte's offset,
     * {@code field[i]} the rel32's, {@code rel[i]} the new displacement, {@code opcode[i]} the
     * first byte to write back.
     */
    public void apply(Protocol p, int count, int[] insn, int[] field, int[] rel, byte[] opcode) {
        switch (p) {
            case ATOMIC:
                for (int i = 0; i < count; i++) {
                    text.storeField32Release(field[i], rel[i]);
                }
                VarHandle.fullFence(); // the stores are done before the update returns
                break;
            case BREAKPOINT_BATCHED:
                for (int from = 0; from < count; from += Transaction.BATCH) {
                    threePhase(from, Math.min(count, from + Transaction.BATCH), insn, field, rel, opcode);
                }
                break;
            default:
                for (int i = 0; i < count; i++) {
                    threePhase(i, i + 1, insn, field, rel, opcode);
                }
        }
    }

    private void threePhase(int from, int to, int[] insn, int[] field, int[] rel, byte[] opcode) {
        for (int i = from; i < to; i++) {
            text.storeByteRelease(insn[i], INT3);
        }
        sync();
        for (int i = from; i < to; i++) {
            text.storeField32Release(field[i], rel[i]);
        }
        sync();
        for (int i = from; i < to; i++) {
            text.storeByteRelease(insn[i], opcode[i]);
        }
        sync();
    }
}
