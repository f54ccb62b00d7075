package patchsites.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import patchsites.isa.A32Codec;
import patchsites.isa.Branch;
import patchsites.isa.BranchCodec;
import patchsites.isa.ThumbCodec;

/**
 * 32-bit ARM, A32 and Thumb-2 (instructions little-endian, as in every object but legacy BE32,
 * whose byte order the constructor takes).
 * A32 {@code B}/{@code BL}/{@code Bcc}/{@code BLX imm} reach ±32 MiB; Thumb {@code BL}/{@code
 * B.W} ±16 MiB, {@code Bcc.W} ±1 MiB. The ARMv7 ARM (A3.5.4) lists B and BL among the
 * instructions that may be concurrently modified, but Linux does not rely on it: {@code
 * patch_text()} runs under stop_machine, and so does every ftrace and jump-label update. A Thumb
 * instruction at an address ≡ 2 mod 4 is written as two halfwords anyway. Bytes alone do not tell
 * the state: a Thumb {@code BL}/{@code B.W}/{@code Bcc.W} whose second halfword has J2 = 1 and
 * imm11[10:9] = 01 reads, as one little-endian word, like an A32 branch (a Thumb {@code bl} 0x400
 * bytes ahead does). Callers that know the state (the ELF mapping symbols $a/$t) use {@link
 * #forState}; without it the bytes are taken as A32 when they encode an A32 branch, else as Thumb.
 * Thumb {@code BLX imm} (a call into ARM code) goes to Align(address + 4, 4) + imm: its
 * destination depends on the address, not only on the displacement.
 */
public final class ArmRules extends BranchRules {
    /** Both states' codecs, and the codec used without a state. */
    private final Guess guess;

    /** The rules for instructions in {@code order}: little-endian, or big-endian in BE32 objects. */
    public ArmRules(ByteOrder order) {
        this(new Guess(new A32Codec(order), new ThumbCodec(order)), null);
    }

    /** {@code codec}: the one state's, or null to guess from the bytes. */
    private ArmRules(Guess guess, BranchCodec codec) {
        super(codec == null ? guess : codec, "arm", "arm: stop_machine for every text patch, as Linux's patch_text() does",
                "a PLT entry (get_module_plt)");
        this.guess = guess;
    }

    /** The rules for ARM ('a') or Thumb ('t') code; for anything else, these rules. */
    @Override
    public ArmRules forState(char mapping) {
        return mapping == 'a' ? new ArmRules(guess, guess.a32) : mapping == 't' ? new ArmRules(guess, guess.thumb) : this;
    }

    /**
     * Without a state: A32 when the word is an A32 branch, else Thumb. Used per call, so the guess
     * is made on the bytes in hand.
     */
    private record Guess(A32Codec a32, ThumbCodec thumb) implements BranchCodec {
        private BranchCodec pick(ByteBuffer code, int at) {
            return a32.decode(code, at) != null ? a32 : thumb;
        }

        @Override
        public Branch decode(ByteBuffer code, int at) {
            return pick(code, at).decode(code, at);
        }

        @Override
        public boolean encode(ByteBuffer code, int at, Branch b, long displacement) {
            return pick(code, at).encode(code, at, b, displacement);
        }

        @Override
        public boolean retarget(ByteBuffer code, int at, long address, long target) {
            return pick(code, at).retarget(code, at, address, target);
        }

        @Override
        public long destination(Branch b, long address) {
            return (b.pcOffset() == A32Codec.PC_OFFSET ? a32 : thumb).destination(b, address);
        }
    }

    @Override
    Assessment concurrency(byte[] insn, Branch b, byte[] after, Placement where) {
        return new Assessment(Verdict.STOP_MACHINE, "Linux patches ARM text under stop_machine (patch_text)", 0, false);
    }
}
