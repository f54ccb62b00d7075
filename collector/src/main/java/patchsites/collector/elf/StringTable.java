package patchsites.collector.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A SHT_STRTAB section read in place. Strings are decoded only when asked for. */
public final class StringTable {
    private final ByteBuffer bytes;
    /** The same bytes read eight at a time, little-endian whatever the object's byte order. */
    private final ByteBuffer words;
    private final String what;
    /** Offset of the last NUL (-1: none): every string that starts at or before it is terminated. */
    private final int lastNul;

    /** The strings in {@code bytes}; {@code what} names the table in errors. */
    public StringTable(ByteBuffer bytes, String what) {
        this.bytes = bytes;
        this.words = bytes.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        this.what = what;
        int nul = bytes.limit() - 1;
        while (nul >= 0 && bytes.get(nul) != 0) {
            nul--;
        }
        lastNul = nul;
    }

    /** The raw bytes, for matching names without decoding them. */
    public ByteBuffer bytes() {
        return bytes;
    }

    /** Length of the NUL-terminated string at {@code offset}. */
    public int length(int offset) {
        int limit = bytes.limit();
        if (offset < 0 || offset >= limit) {
            if (offset == 0 && limit == 0) {
                return 0;
            }
            throw new ElfFormatException(what + ": string offset " + Integer.toUnsignedString(offset) + " is past its end ("
                    + limit + " bytes)");
        }
        // Eight bytes a step: every symbol name of a vmlinux.o is measured before it is matched.
        int i = offset;
        for (; i + 8 <= limit; i += 8) {
            long zero = zeroBytes(words.getLong(i));
            if (zero != 0) {
                return i + (Long.numberOfTrailingZeros(zero) >>> 3) - offset;
            }
        }
        for (; i < limit; i++) {
            if (bytes.get(i) == 0) {
                return i - offset;
            }
        }
        throw new ElfFormatException(what + ": string at offset " + offset + " has no terminating NUL");
    }

    /**
     * The first eight bytes of the string at {@code offset}, little-endian (its first byte lowest),
     * with the bytes from its NUL on zero: enough to turn away most names before measuring them.
     * Checks the offset and the terminating NUL as {@link #length} does.
     */
    public long firstBytes(int offset) {
        if (offset >= 0 && offset <= lastNul && offset + 8 <= bytes.limit()) {
            long v = words.getLong(offset);
            long zero = zeroBytes(v);
            // Bytes above the lowest NUL are not the string's: clear them (the lowest flagged byte is a real NUL).
            return zero == 0 ? v : v & ((Long.lowestOneBit(zero) >>> 7) - 1);
        }
        int len = Math.min(8, length(offset));
        long v = 0;
        for (int k = 0; k < len; k++) {
            v |= (bytes.get(offset + k) & 0xffL) << (8 * k);
        }
        return v;
    }

    /**
     * The top bit of each zero byte of {@code v}, and possibly of bytes above the lowest zero one
     * (a borrow): the lowest set bit is exact, which is all a NUL search needs.
     */
    private static long zeroBytes(long v) {
        return (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
    }

    public String get(int offset) {
        int len = length(offset);
        byte[] b = new byte[len];
        bytes.get(offset, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
