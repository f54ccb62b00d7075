package patchsites.collector.arch;

import java.nio.ByteBuffer;
import patchsites.isa.Branch;
import patchsites.isa.BranchCodec;
import patchsites.isa.SiteKind;

/**
 * Which relocation types sit on which branch forms of an instruction set, as data: a relocation
 * names the width of the displacement it fills ({@code R_AARCH64_CONDBR19}: 19 bits) and, where
 * one width has several forms, the kind. The bytes are the codec's business; {@link #decode} is
 * the whole {@link Arch#decodeBranch} of the fixed-width architectures.
 */
final class BranchRelocations {
    /**
     * A relocation type and the form it may sit on.
     *
     * @param fieldBits the codec's {@link Branch#fieldBits}
     * @param kind      the only kind it may sit on, or null for any
     * @param exchange  it may sit on a branch that switches instruction set (ARM {@code BLX})
     */
    record Form(int type, int fieldBits, SiteKind kind, boolean exchange) {
        boolean fits(Branch b) {
            return b.fieldBits() == fieldBits && (kind == null || b.kind() == kind) && (exchange || !b.exchange());
        }
    }

    static Form form(int type, int fieldBits) {
        return new Form(type, fieldBits, null, false);
    }

    static Form form(int type, int fieldBits, SiteKind kind) {
        return new Form(type, fieldBits, kind, false);
    }

    private final BranchCodec codec;
    private final int alignment, fieldOffset;
    private final Form[] forms;

    /**
     * @param alignment   of an instruction start in its section
     * @param fieldOffset where the relocated field sits after the instruction start
     */
    BranchRelocations(BranchCodec codec, int alignment, int fieldOffset, Form... forms) {
        this.codec = codec;
        this.alignment = alignment;
        this.fieldOffset = fieldOffset;
        this.forms = forms;
    }

    /** The form relocation type {@code type} may sit on, or null when it never sits on a branch. */
    Form formOf(int type) {
        for (Form f : forms) {
            if (f.type() == type) {
                return f;
            }
        }
        return null;
    }

    /** Records in {@code out} the branch whose field a relocation of {@code type} at {@code field} fills. */
    boolean decode(ByteBuffer text, long field, int type, DecodedBranch out) {
        Form form = formOf(type);
        long start = field - fieldOffset;
        if (form == null || start < 0 || (start & (alignment - 1)) != 0) {
            return false;
        }
        Branch b = codec.decode(text, (int) start);
        return out.found(b, start, b != null && form.fits(b));
    }
}
