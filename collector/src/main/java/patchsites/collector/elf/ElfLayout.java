package patchsites.collector.elf;

import java.nio.ByteBuffer;

/**
 * Where each field of the ELF header, a section header, a symbol and a relocation sits in ELF32
 * and ELF64: the one description that {@link ElfFile}, {@link SymbolTable} and
 * {@link Relocations} read by and that the put methods here write by. Buffers carry the object's
 * byte order; "word" fields are 8 bytes in ELF64 and 4 (unsigned) in ELF32.
 */
public final class ElfLayout {
    public static final ElfLayout ELF32 = new ElfLayout(false), ELF64 = new ElfLayout(true);

    public final boolean is64;
    /** Bytes of a word-sized field. */
    public final int word;
    /** ELF header: its size and the fields past e_ident that are read or rewritten. */
    public final int ehsize, eType = 16, eMachine = 18, ePhnum, eShoff, eFlags, eShentsize, eShnum, eShstrndx;
    /** Section header: its size and fields. */
    public final int shentsize, shName = 0, shType = 4, shFlags, shAddr, shOffset, shSize, shLink, shInfo, shAddralign,
            shEntsize;
    /** Symbol: its size and fields. */
    public final int symentsize, stName = 0, stValue, stSize, stInfo, stOther, stShndx;

    private ElfLayout(boolean is64) {
        this.is64 = is64;
        word = is64 ? 8 : 4;
        ehsize = is64 ? 64 : 52;
        ePhnum = is64 ? 56 : 44;
        eShoff = is64 ? 40 : 32;
        eFlags = is64 ? 48 : 36;
        eShentsize = is64 ? 58 : 46;
        eShnum = is64 ? 60 : 48;
        eShstrndx = is64 ? 62 : 50;
        shentsize = is64 ? 64 : 40;
        shFlags = 8;
        shAddr = is64 ? 16 : 12;
        shOffset = is64 ? 24 : 16;
        shSize = is64 ? 32 : 20;
        shLink = is64 ? 40 : 24;
        shInfo = is64 ? 44 : 28;
        shAddralign = is64 ? 48 : 32;
        shEntsize = is64 ? 56 : 36;
        symentsize = is64 ? 24 : 16;
        stValue = is64 ? 8 : 4;
        stSize = is64 ? 16 : 8;
        stInfo = is64 ? 4 : 12;
        stOther = is64 ? 5 : 13;
        stShndx = is64 ? 6 : 14;
    }

    public static ElfLayout of(boolean is64) {
        return is64 ? ELF64 : ELF32;
    }

    /** A word-sized field, unsigned in ELF32. */
    public long word(ByteBuffer b, int at) {
        return is64 ? b.getLong(at) : b.getInt(at) & 0xffffffffL;
    }

    public void putWord(ByteBuffer b, int at, long value) {
        if (is64) {
            b.putLong(at, value);
        } else {
            b.putInt(at, (int) value);
        }
    }

    public int half(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    // ---- ELF header

    /** Points an ELF header at a section header table of {@code shnum} entries (0: extended count). */
    public void putSectionTable(ByteBuffer eh, long shoff, int shnum, int shstrndx) {
        putWord(eh, eShoff, shoff);
        eh.putShort(eShentsize, (short) shentsize);
        eh.putShort(eShnum, (short) shnum);
        eh.putShort(eShstrndx, (short) shstrndx);
    }

    // ---- section headers

    /** Section header {@code i} of a table in {@code b}. */
    public void putSectionHeader(ByteBuffer b, int i, int name, int type, long flags, long addr, long offset, long size,
            int link, int info, long align, long entsize) {
        int at = i * shentsize;
        b.putInt(at + shName, name);
        b.putInt(at + shType, type);
        putWord(b, at + shFlags, flags);
        putWord(b, at + shAddr, addr);
        putWord(b, at + shOffset, offset);
        putWord(b, at + shSize, size);
        b.putInt(at + shLink, link);
        b.putInt(at + shInfo, info);
        putWord(b, at + shAddralign, align);
        putWord(b, at + shEntsize, entsize);
    }

    // ---- symbols

    /** st_info from binding and type. */
    public static int symbolInfo(int binding, int type) {
        return binding << 4 | type & 0xf;
    }

    /** Symbol {@code i} of a table in {@code b}: a name offset, value, size, st_info, st_other, raw st_shndx. */
    public void putSymbol(ByteBuffer b, int i, int name, long value, long size, int info, int other, int shndx) {
        int at = i * symentsize;
        b.putInt(at + stName, name);
        putWord(b, at + stValue, value);
        putWord(b, at + stSize, size);
        b.put(at + stInfo, (byte) info);
        b.put(at + stOther, (byte) other);
        b.putShort(at + stShndx, (short) shndx);
    }

    // ---- relocations: r_offset, r_info, r_addend (RELA), each a word

    public int relocationSize(boolean rela) {
        return word * (rela ? 3 : 2);
    }

    /** The largest symbol index r_info holds (ELF32 keeps 24 bits for it). */
    public long maxRelocationSymbol() {
        return is64 ? 0xffffffffL : 0xffffffL;
    }

    public int relocationSymbol(long info) {
        return is64 ? (int) (info >>> 32) : (int) (info >>> 8);
    }

    public int relocationType(long info) {
        return is64 ? (int) info : (int) (info & 0xff);
    }

    public long relocationInfo(int sym, int type) {
        return is64 ? (long) sym << 32 | (type & 0xffffffffL) : ((long) sym << 8 | (type & 0xff)) & 0xffffffffL;
    }

    /**
     * Relocation {@code i} of a table in {@code b}, of the {@code size}-byte field at {@code offset}
     * of {@code contents} (the relocated section's). REL keeps the addend in that field: it is
     * written there.
     */
    public void putRelocation(ByteBuffer b, int i, boolean rela, long offset, int sym, int type, long addend,
            ByteBuffer contents, int size) {
        int at = i * relocationSize(rela);
        putWord(b, at, offset);
        putWord(b, at + word, relocationInfo(sym, type));
        if (rela) {
            putWord(b, at + 2 * word, addend);
        } else if (size == 8) {
            contents.putLong((int) offset, addend);
        } else {
            contents.putInt((int) offset, (int) addend);
        }
    }

    /** Gives relocation {@code i} of a table in {@code b} another symbol, its type kept. */
    public void putRelocationSymbol(ByteBuffer b, int i, boolean rela, int sym) {
        int at = i * relocationSize(rela) + word;
        putWord(b, at, relocationInfo(sym, relocationType(word(b, at))));
    }
}
