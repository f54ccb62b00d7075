package patchsites.collector.corpus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The oracle: decodes the call-site tables that objtool and gcc wrote into a kernel module,
 * entry by entry through their relocations. Written from scratch for ELF64 little-endian RELA
 * objects and sharing no code with the collector's ELF layer, so that a bug there cannot hide
 * itself by appearing on both sides of a comparison.
 */
public final class KernelTables {
    /** One table entry: where it points (section name + offset), and the raw key data if any. */
    public record Entry(String section, long offset, String key, long keyAddend) {}

    private final ByteBuffer b;
    private final int shnum;
    private final long shoff;
    private final String[] names;

    public KernelTables(Path file) throws IOException {
        b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x464c457f || b.get(4) != 2 || b.get(5) != 1) {
            throw new IOException(file + ": not an ELF64 little-endian object");
        }
        shoff = b.getLong(0x28);
        int n = b.getShort(0x3c) & 0xffff;
        shnum = n == 0 ? (int) b.getLong((int) shoff + 32) : n;
        int strndx = b.getShort(0x3e) & 0xffff;
        if (strndx == 0xffff) {
            strndx = b.getInt((int) shoff + 40);
        }
        names = new String[shnum];
        long strOff = sh(strndx, 24);
        for (int i = 0; i < shnum; i++) {
            names[i] = cstring(strOff + (b.getInt((int) (shoff + 64L * i)) & 0xffffffffL));
        }
    }

    private long sh(int i, int field) {
        return b.getLong((int) (shoff + 64L * i + field));
    }

    private int shInt(int i, int field) {
        return b.getInt((int) (shoff + 64L * i + field));
    }

    private String cstring(long at) {
        int s = (int) at, e = s;
        while (b.get(e) != 0) {
            e++;
        }
        return new String(b.array(), s, e - s, StandardCharsets.UTF_8);
    }

    private int section(String name) {
        for (int i = 0; i < shnum; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public boolean has(String table) {
        return section(table) >= 0;
    }

    /**
     * Entries of {@code table}, each {@code entrySize} bytes; the site is the relocation at entry
     * offset 0, the key (if {@code keyed}) the relocation at offset 4.
     */
    public List<Entry> entries(String table, int entrySize, boolean keyed) throws IOException {
        int t = section(table);
        List<Entry> out = new ArrayList<>();
        if (t < 0) {
            return out;
        }
        long size = sh(t, 32);
        int rela = -1;
        for (int i = 0; i < shnum; i++) {
            if (shInt(i, 4) == 4 && shInt(i, 44) == t) {
                rela = i;
            }
        }
        if (rela < 0) {
            throw new IOException(table + " has no relocations");
        }
        int symtab = shInt(rela, 40);
        long symOff = sh(symtab, 24);
        long symStr = sh(shInt(symtab, 40), 24);
        long relOff = sh(rela, 24), relSize = sh(rela, 32);
        Map<Long, long[]> byOffset = new HashMap<>();
        for (long r = relOff; r < relOff + relSize; r += 24) {
            long info = b.getLong((int) r + 8);
            byOffset.put(b.getLong((int) r), new long[] {info >>> 32, b.getLong((int) r + 16)});
        }
        for (long e = 0; e < size; e += entrySize) {
            long[] site = byOffset.get(e);
            if (site == null) {
                throw new IOException(table + " entry at " + e + " has no relocation");
            }
            int sym = (int) site[0];
            long symAt = symOff + 24L * sym;
            int shndx = b.getShort((int) symAt + 6) & 0xffff;
            long value = b.getLong((int) symAt + 8);
            String key = null;
            long keyAddend = 0;
            if (keyed) {
                long[] k = byOffset.get(e + 4);
                if (k == null) {
                    throw new IOException(table + " entry at " + e + " has no key relocation");
                }
                key = cstring(symStr + (b.getInt((int) (symOff + 24L * k[0])) & 0xffffffffL));
                keyAddend = k[1];
            }
            out.add(new Entry(names[shndx], value + site[1], key, keyAddend));
        }
        return out;
    }

    /** The unsigned byte at {@code offset} of section {@code name}. */
    public int byteAt(String name, long offset) {
        int s = section(name);
        if (s < 0 || offset < 0 || offset >= sh(s, 32)) {
            throw new IllegalArgumentException(name + "+" + offset + " is outside the section");
        }
        return b.get((int) (sh(s, 24) + offset)) & 0xff;
    }

    /** {@code n} bytes at {@code offset} of section {@code name}, as hex, for failure messages. */
    public String bytes(String name, long offset, int n) {
        int s = section(name);
        StringBuilder sb = new StringBuilder();
        long base = sh(s, 24), size = sh(s, 32);
        for (long i = Math.max(0, offset - 2); i < Math.min(size, offset + n); i++) {
            if (i == offset) {
                sb.append('|');
            }
            sb.append(String.format("%02x ", b.get((int) (base + i)) & 0xff));
        }
        return sb.toString().trim();
    }
}
