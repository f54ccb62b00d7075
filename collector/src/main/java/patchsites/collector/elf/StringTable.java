package patchsites.collector.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A SHT_STRTAB section read in place. Strings are decoded only when asked for. */
public final class StringTable {
    private final ByteBuffer bytes;
    /** The same bytes read eight at a time, little-endian whatever the object's byte order. */
    private final ByteBuffer words;
    private final String what;

    StringTable(ByteBuffer bytes, String what) {
        this.bytes = bytes;
        this.words = bytes.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        this.what = what;
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
            long v = words.getLong(i);
            long zero = (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
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

    public String get(int offset) {
        int len = length(offset);
        byte[] b = new byte[len];
        bytes.get(offset, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
