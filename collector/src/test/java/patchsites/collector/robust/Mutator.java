package patchsites.collector.robust;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;

/**
 * Structure-aware mutations of a well-formed object or archive. The seed is parsed once (with
 * our reader: seeds are well-formed) into the positions of every header field that matters —
 * ELF header, section headers, symbols, relocations, archive member headers — so that a mutation
 * hits a field, with a value chosen to sit on a boundary (0, ±1 around the count or the file
 * size, SHN_XINDEX, 2^31, ...), instead of flipping bytes where nothing is checked. Every choice
 * comes from a {@link Choices}: Jazzer's data provider (coverage-guided) or a seeded random.
 */
final class Mutator {
    /** Where the choices come from. */
    interface Choices {
        /** In [0, n); 0 when n ≤ 1. */
        int below(int n);

        long anyLong();

        byte[] bytes(int max);
    }

    /** Field kinds, for picking values that fit. */
    private static final int K_EHDR = 0, K_SHDR = 1, K_SYM = 2, K_REL = 3, K_AR_SIZE = 4, K_AR_NAME = 5;

    /** One integer field of the seed: where, how wide, what. */
    private record Field(int at, int width, int kind, ByteOrder order) {}

    /** A parsed ELF object inside the seed (the whole seed, or an archive member). */
    private record Elf(int base, int size, boolean is64, ByteOrder order, long shoff, int shnum, int[] shdrAt,
            long[] secOff, long[] secSize, int[] secType, int symCount, int[] strtabs) {}

    private final byte[] seed;
    private final List<Field> fields = new ArrayList<>();
    private final List<Elf> elves = new ArrayList<>();
    /** The type part of every relocation's r_info (4 bytes in ELF64, 1 in ELF32). */
    private final List<Field> relocTypes = new ArrayList<>();

    /** Relocation types the architectures decode: branches, references, table fields. */
    private static final int[] KNOWN_TYPES = {1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 22, 24, 26, 28, 29,
        30, 38, 41, 42, 43, 44, 45, 51, 57, 64, 65, 66, 99, 110, 116, 257, 261, 279, 280, 282, 283};

    Mutator(byte[] seed) {
        this.seed = seed;
        if (seed.length >= 8 && new String(seed, 0, 8, StandardCharsets.ISO_8859_1).equals("!<arch>\n")) {
            parseArchive();
        } else {
            parseElf(0, seed.length);
        }
    }

    int fieldCount() {
        return fields.size();
    }

    private void parseArchive() {
        int pos = 8;
        while (pos + 60 <= seed.length) {
            fields.add(new Field(pos, 16, K_AR_NAME, null));
            fields.add(new Field(pos + 48, 10, K_AR_SIZE, null));
            String sz = new String(seed, pos + 48, 10, StandardCharsets.ISO_8859_1).trim();
            int size = Integer.parseInt(sz);
            int data = pos + 60;
            if (data + 4 <= seed.length && seed[data] == 0x7f && seed[data + 1] == 'E') {
                parseElf(data, size);
            }
            pos = data + size + ((data + size) & 1);
        }
    }

    private void parseElf(int base, int size) {
        ElfFile elf = ElfFile.parse(Source.of(ByteBuffer.wrap(seed, base, size).slice()));
        boolean is64 = elf.is64();
        ByteOrder o = elf.order();
        int[] ehdr64 = {16, 2, 18, 2, 20, 4, 24, 8, 32, 8, 40, 8, 48, 4, 52, 2, 54, 2, 56, 2, 58, 2, 60, 2, 62, 2};
        int[] ehdr32 = {16, 2, 18, 2, 20, 4, 24, 4, 28, 4, 32, 4, 36, 4, 40, 2, 42, 2, 44, 2, 46, 2, 48, 2, 50, 2};
        int[] e = is64 ? ehdr64 : ehdr32;
        for (int i = 0; i < e.length; i += 2) {
            fields.add(new Field(base + e[i], e[i + 1], K_EHDR, o));
        }
        for (int b : new int[] {4, 5, 6, 7}) {
            fields.add(new Field(base + b, 1, K_EHDR, o)); // class, data, version, OSABI
        }
        ByteBuffer h = elf.header();
        long shoff = is64 ? h.getLong(40) : h.getInt(32) & 0xffffffffL;
        int n = elf.sectionCount();
        int entsz = is64 ? 64 : 40;
        int[] shdrAt = new int[n];
        long[] off = new long[n], sz = new long[n];
        int[] type = new int[n];
        int[] shdr64 = {0, 4, 4, 4, 8, 8, 16, 8, 24, 8, 32, 8, 40, 4, 44, 4, 48, 8, 56, 8};
        int[] shdr32 = {0, 4, 4, 4, 8, 4, 12, 4, 16, 4, 20, 4, 24, 4, 28, 4, 32, 4, 36, 4};
        int symCount = 0;
        List<Integer> strtabs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shdrAt[i] = base + (int) shoff + i * entsz;
            off[i] = elf.sectionOffset(i);
            sz[i] = elf.sectionSize(i);
            type[i] = elf.sectionType(i);
            int[] s = is64 ? shdr64 : shdr32;
            for (int k = 0; k < s.length; k += 2) {
                fields.add(new Field(shdrAt[i] + s[k], s[k + 1], K_SHDR, o));
            }
            if (i == 0) {
                continue;
            }
            if (type[i] == ElfFile.SHT_STRTAB) {
                strtabs.add(i);
            }
            int start = base + (int) off[i];
            if (type[i] == ElfFile.SHT_SYMTAB) {
                int ent = is64 ? 24 : 16;
                int count = (int) (sz[i] / ent);
                symCount = count;
                // name, value, size, info+other, shndx
                int[] sym = is64 ? new int[] {0, 4, 8, 8, 16, 8, 4, 1, 6, 2} : new int[] {0, 4, 4, 4, 8, 4, 12, 1, 14, 2};
                for (int k = 0; k < count; k++) {
                    for (int f = 0; f < sym.length; f += 2) {
                        fields.add(new Field(start + k * ent + sym[f], sym[f + 1], K_SYM, o));
                    }
                }
            } else if (type[i] == ElfFile.SHT_RELA || type[i] == ElfFile.SHT_REL) {
                boolean rela = type[i] == ElfFile.SHT_RELA;
                int w = is64 ? 8 : 4;
                int ent = w * (rela ? 3 : 2);
                int count = (int) (sz[i] / ent);
                for (int k = 0; k < count; k++) {
                    int r = start + k * ent;
                    fields.add(new Field(r, w, K_REL, o));
                    if (is64) {
                        fields.add(new Field(r + (o == ByteOrder.LITTLE_ENDIAN ? 12 : 8), 4, K_REL, o)); // symbol
                        fields.add(new Field(r + (o == ByteOrder.LITTLE_ENDIAN ? 8 : 12), 4, K_REL, o)); // type
                        relocTypes.add(new Field(r + (o == ByteOrder.LITTLE_ENDIAN ? 8 : 12), 4, K_REL, o));
                    } else {
                        fields.add(new Field(r + 4, 4, K_REL, o));
                        relocTypes.add(new Field(r + (o == ByteOrder.LITTLE_ENDIAN ? 4 : 7), 1, K_REL, o));
                    }
                    if (rela) {
                        fields.add(new Field(r + 2 * w, w, K_REL, o));
                    }
                }
            }
        }
        elves.add(new Elf(base, size, is64, o, shoff, n, shdrAt, off, sz, type, symCount,
                strtabs.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** A mutated copy of the seed: 1 to 4 mutations. */
    byte[] mutate(Choices c) {
        byte[] b = seed.clone();
        int k = 1 + c.below(4);
        for (int i = 0; i < k; i++) {
            b = mutateOnce(b, c);
        }
        return b;
    }

    private byte[] mutateOnce(byte[] b, Choices c) {
        Elf elf = elves.isEmpty() ? null : elves.get(c.below(elves.size()));
        switch (c.below(14)) {
            case 0, 1, 2: { // a field to a boundary value
                if (fields.isEmpty()) {
                    return b;
                }
                Field f = fields.get(c.below(fields.size()));
                put(b, f, interesting(b, f, elf, c));
                return b;
            }
            case 3: { // a field to any value
                if (fields.isEmpty()) {
                    return b;
                }
                Field f = fields.get(c.below(fields.size()));
                put(b, f, c.anyLong());
                return b;
            }
            case 4: { // bytes anywhere
                int n = 1 + c.below(4);
                for (int i = 0; i < n && b.length > 0; i++) {
                    b[c.below(b.length)] = (byte) c.anyLong();
                }
                return b;
            }
            case 5: { // truncate
                return b.length == 0 ? b : Arrays.copyOf(b, c.below(b.length));
            }
            case 6: { // one section header over another, or two swapped
                if (elf == null || elf.shnum < 2) {
                    return b;
                }
                int w = elf.is64 ? 64 : 40;
                int x = elf.shdrAt[c.below(elf.shnum)], y = elf.shdrAt[c.below(elf.shnum)];
                if (!fits(b, x, w) || !fits(b, y, w)) {
                    return b;
                }
                byte[] tmp = Arrays.copyOfRange(b, x, x + w);
                System.arraycopy(b, y, b, x, w);
                if (c.below(2) == 0) {
                    System.arraycopy(tmp, 0, b, y, w);
                }
                return b;
            }
            case 7: { // a section's data overlaps another's, or the headers
                if (elf == null || elf.shnum < 2) {
                    return b;
                }
                int i = 1 + c.below(elf.shnum - 1);
                long to = switch (c.below(3)) {
                    case 0 -> elf.secOff[1 + c.below(elf.shnum - 1)] + c.below(8);
                    case 1 -> c.below(64);
                    default -> elf.shoff + c.below(64);
                };
                putAt(b, elf, elf.shdrAt[i] + (elf.is64 ? 24 : 16), elf.is64 ? 8 : 4, to);
                return b;
            }
            case 8: { // a section's type changed
                if (elf == null || elf.shnum < 2) {
                    return b;
                }
                int[] types = {ElfFile.SHT_NULL, ElfFile.SHT_PROGBITS, ElfFile.SHT_SYMTAB, ElfFile.SHT_STRTAB,
                    ElfFile.SHT_RELA, ElfFile.SHT_NOBITS, ElfFile.SHT_REL, ElfFile.SHT_DYNSYM, ElfFile.SHT_GROUP,
                    ElfFile.SHT_SYMTAB_SHNDX, 0x6fff4c03};
                putAt(b, elf, elf.shdrAt[1 + c.below(elf.shnum - 1)] + 4, 4, types[c.below(types.length)]);
                return b;
            }
            case 9: { // extended numbering: counts moved into section header 0
                if (elf == null || elf.shnum < 2) {
                    return b;
                }
                int base = elf.base;
                int shnumAt = base + (elf.is64 ? 60 : 48), strndxAt = base + (elf.is64 ? 62 : 50);
                int sh0 = elf.shdrAt[0];
                if (c.below(2) == 0) {
                    long n = c.below(4) == 0 ? c.anyLong() & 0xffffffL : elf.shnum + c.below(3) - 1;
                    putAt(b, elf, shnumAt, 2, 0);
                    putAt(b, elf, sh0 + (elf.is64 ? 32 : 20), elf.is64 ? 8 : 4, n);
                } else {
                    long s = fits(b, strndxAt, 2) ? get(b, elf, strndxAt, 2) : 0;
                    putAt(b, elf, strndxAt, 2, ElfFile.SHN_XINDEX);
                    putAt(b, elf, sh0 + (elf.is64 ? 40 : 24), 4, c.below(4) == 0 ? c.anyLong() : s + c.below(3) - 1);
                }
                return b;
            }
            case 10: { // a string table loses its terminator, or gets garbage
                if (elf == null || elf.strtabs.length == 0) {
                    return b;
                }
                int s = elf.strtabs[c.below(elf.strtabs.length)];
                long end = elf.base + elf.secOff[s] + elf.secSize[s];
                int n = 1 + c.below(16);
                byte fill = c.below(2) == 0 ? (byte) 'A' : (byte) c.anyLong();
                for (long p = end - n; p < end; p++) {
                    if (p >= 0 && p < b.length) {
                        b[(int) p] = fill;
                    }
                }
                return b;
            }
            case 12: { // another machine, or another byte order (for objects: not the archive)
                if (elf == null || !fits(b, elf.base, 20)) {
                    return b;
                }
                int[] machines = elf.is64 ? Seeds.MACHINES_64 : Seeds.MACHINES_32;
                if (c.below(4) == 0) {
                    putAt(b, elf, elf.base + 5, 1, 3 - (b[elf.base + 5] & 0xff)); // EI_DATA 1 <-> 2
                } else {
                    putAt(b, elf, elf.base + 18, 2, machines[c.below(machines.length)]);
                }
                return b;
            }
            case 13: { // relocations retyped: one, or every one of some type (x86 calls become arm64 calls)
                if (relocTypes.isEmpty()) {
                    return b;
                }
                long to = KNOWN_TYPES[c.below(KNOWN_TYPES.length)];
                Field one = relocTypes.get(c.below(relocTypes.size()));
                if (c.below(2) == 0) {
                    put(b, one, to);
                    return b;
                }
                long from = get(b, one);
                for (Field f : relocTypes) {
                    if (get(b, f) == from) {
                        put(b, f, to);
                    }
                }
                return b;
            }
            default: { // bytes inserted or removed (everything after moves)
                if (b.length == 0) {
                    return b;
                }
                int at = c.below(b.length);
                if (c.below(2) == 0) {
                    byte[] ins = c.bytes(16);
                    byte[] r = new byte[b.length + ins.length];
                    System.arraycopy(b, 0, r, 0, at);
                    System.arraycopy(ins, 0, r, at, ins.length);
                    System.arraycopy(b, at, r, at + ins.length, b.length - at);
                    return r;
                }
                int n = Math.min(1 + c.below(16), b.length - at);
                byte[] r = new byte[b.length - n];
                System.arraycopy(b, 0, r, 0, at);
                System.arraycopy(b, at + n, r, at, b.length - at - n);
                return r;
            }
        }
    }

    private static final long[] BOUNDARIES = {0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
        0x8000, 0xfeff, 0xff00, 0xfff1, 0xfff2, 0xffff, 0x10000, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L,
        Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -4};

    private long interesting(byte[] b, Field f, Elf elf, Choices c) {
        long cur = f.kind == K_AR_SIZE || f.kind == K_AR_NAME ? 0 : get(b, f);
        switch (c.below(6)) {
            case 0:
                return BOUNDARIES[c.below(BOUNDARIES.length)];
            case 1: { // around the file size
                long s = elf == null ? b.length : elf.size;
                return s + c.below(5) - 2 - (c.below(2) == 0 ? 0 : cur);
            }
            case 2: // around a count
                if (elf == null) {
                    return c.below(3) - 1;
                }
                return (c.below(2) == 0 ? elf.shnum : elf.symCount) + c.below(5) - 2;
            case 3: // near the current value
                return cur + c.below(9) - 4;
            case 4: // a bit flipped
                return cur ^ (1L << c.below(Math.min(63, f.width * 8)));
            default: // a section's offset or size
                if (elf == null || elf.shnum == 0) {
                    return cur * 2;
                }
                int s = c.below(elf.shnum);
                return c.below(2) == 0 ? elf.secOff[s] : elf.secOff[s] + elf.secSize[s];
        }
    }

    private static boolean fits(byte[] b, long at, int width) {
        return at >= 0 && at + width <= b.length;
    }

    private static long get(byte[] b, Field f) {
        if (!fits(b, f.at, f.width)) {
            return 0;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(f.order);
        switch (f.width) {
            case 1: return b[f.at] & 0xff;
            case 2: return bb.getShort(f.at) & 0xffff;
            case 4: return bb.getInt(f.at) & 0xffffffffL;
            default: return bb.getLong(f.at);
        }
    }

    private static long get(byte[] b, Elf elf, int at, int width) {
        return get(b, new Field(at, width, K_EHDR, elf.order));
    }

    private static void putAt(byte[] b, Elf elf, int at, int width, long v) {
        put(b, new Field(at, width, K_EHDR, elf.order), v);
    }

    private static void put(byte[] b, Field f, long v) {
        if (!fits(b, f.at, f.width)) {
            return;
        }
        if (f.kind == K_AR_SIZE || f.kind == K_AR_NAME) {
            String s = f.kind == K_AR_SIZE ? Long.toString(v) : "/" + (v & 0xffff);
            byte[] t = String.format("%-" + f.width + "s", s).getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(t, 0, b, f.at, Math.min(f.width, t.length));
            return;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(f.order);
        switch (f.width) {
            case 1 -> b[f.at] = (byte) v;
            case 2 -> bb.putShort(f.at, (short) v);
            case 4 -> bb.putInt(f.at, (int) v);
            default -> bb.putLong(f.at, v);
        }
    }
}
