package patchsites.collector.elf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A SHT_STRTAB section read in place. Strings are decoded only when asked for. */
public final class StringTable {
    private final ByteBuffer bytes;
    private final String what;

    StringTable(ByteBuffer bytes, String what) {
        this.bytes = bytes;
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
        for (int i = offset; i < limit; i++) {
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
