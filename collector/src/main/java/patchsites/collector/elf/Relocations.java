package patchsites.collector.elf;

import java.nio.ByteBuffer;

/**
 * A SHT_REL or SHT_RELA section read in place, in the manner of a class-file reader: callers walk
 * entries by index and every field is decoded from the mapping on demand. No object is made per
 * relocation. For SHT_REL the addend lives in the relocated field; see {@code Arch.implicitAddend}.
 */
public final class Relocations {
    private final ByteBuffer entries;
    private final ElfLayout layout;
    private final boolean is64;
    private final boolean rela;
    private final int count;
    private final int entsize;

    Relocations(ByteBuffer entries, ElfLayout layout, boolean rela, int count) {
        this.entries = entries;
        this.layout = layout;
        this.is64 = layout.is64;
        this.rela = rela;
        this.count = count;
        this.entsize = layout.relocationSize(rela);
    }

    public int count() {
        return count;
    }

    public boolean hasAddends() {
        return rela;
    }

    public long offset(int i) {
        return layout.word(entries, i * entsize);
    }

    /** r_info's symbol index ({@link ElfLayout#relocationSymbol}, spelled out here: the scan reads one per relocation). */
    public int symbol(int i) {
        return is64 ? (int) (entries.getLong(i * entsize + 8) >>> 32) : entries.getInt(i * entsize + 4) >>> 8;
    }

    public int type(int i) {
        return layout.relocationType(layout.word(entries, i * entsize + layout.word));
    }

    /** r_addend for SHT_RELA; 0 for SHT_REL. */
    public long addend(int i) {
        if (!rela) {
            return 0;
        }
        return is64 ? entries.getLong(i * entsize + 16) : entries.getInt(i * entsize + 8); // signed in ELF32
    }
}
