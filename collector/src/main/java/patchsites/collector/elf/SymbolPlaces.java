package patchsites.collector.elf;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The place of each symbol of one symbol table: its section and its offset in that section, the
 * same in relocatable objects and linked programs ({@link ElfFile#sectionBase}). The offset is a
 * code offset ({@link SymbolConventions#codeAddress}). A function symbol in a descriptor section
 * (ppc64 ELFv1 {@code .opd}) is placed at its descriptor, where relocations reach it, or, by
 * {@link #atCode}, at the code its descriptor points to, where functions and branch addresses are.
 *
 * <p>{@link #place} sets {@link #section} and {@link #offset}: no object per lookup, because the
 * scan asks once for every relocation against a section symbol.
 */
public final class SymbolPlaces {
    private final ElfFile elf;
    private final SymbolTable symbols;
    private final SymbolConventions conventions;
    private final int descriptorSection;
    /** Whether function symbols in the descriptor section are placed at their code. */
    private final boolean followDescriptors;
    /** Descriptor offset in {@link #descriptorSection} -> {code section, code offset}; built on first use. */
    private Map<Long, long[]> descriptors;

    /** Set by {@link #place}. */
    public int section;
    public long offset;

    public SymbolPlaces(ElfFile elf, SymbolTable symbols, SymbolConventions conventions) {
        this(elf, symbols, conventions, false);
    }

    private SymbolPlaces(ElfFile elf, SymbolTable symbols, SymbolConventions conventions, boolean followDescriptors) {
        this.elf = elf;
        this.symbols = symbols;
        this.conventions = conventions;
        this.followDescriptors = followDescriptors;
        String name = conventions.descriptorSection();
        int d = name == null ? -1 : elf.sectionNamed(name);
        descriptorSection = d > 0 && elf.sectionType(d) == ElfFile.SHT_PROGBITS ? d : -1;
    }

    /** The same symbols, function descriptors followed to their code. */
    public SymbolPlaces atCode() {
        return followDescriptors || descriptorSection < 0 ? this : new SymbolPlaces(elf, symbols, conventions, true);
    }

    public ElfFile elf() {
        return elf;
    }

    public SymbolTable symbols() {
        return symbols;
    }

    public SymbolConventions conventions() {
        return conventions;
    }

    /** Places symbol {@code sym}; false when it is undefined, absolute, or a descriptor of no code. */
    public boolean place(int sym) {
        int sec = symbols.definingSection(sym);
        if (sec <= 0) {
            return false;
        }
        long at = conventions.codeAddress().applyAsLong(symbols.value(sym)) - elf.sectionBase(sec);
        if (followDescriptors && sec == descriptorSection && symbols.type(sym) == SymbolTable.STT_FUNC) {
            long[] code = descriptors().get(at);
            if (code == null) {
                return false;
            }
            sec = (int) code[0];
            at = code[1];
        }
        section = sec;
        offset = at;
        return true;
    }

    /** A second entry point of {@code sym}, this far after its place (ppc64 ELFv2); 0 for none. */
    public long localEntryOffset(int sym) {
        return conventions.localEntryOffset().applyAsLong(symbols.other(sym));
    }

    /**
     * Offset of each descriptor → (code section, offset in it). In a relocatable object the code
     * pointer is an absolute relocation against the code section (or a symbol in it) plus addend;
     * in a linked file it is the doubleword itself, an address.
     */
    private Map<Long, long[]> descriptors() {
        if (descriptors != null) {
            return descriptors;
        }
        Map<Long, long[]> out = descriptors = new HashMap<>();
        int opd = descriptorSection;
        if (elf.type() == ElfFile.ET_REL) {
            int r = elf.relocationSectionOf(opd);
            if (r < 0) {
                return out;
            }
            Relocations rel = elf.relocations(r);
            SymbolTable syms = elf.symbolTable(elf.sectionLink(r));
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (rel.type(k) != conventions.descriptorRelocType() || sym <= 0 || sym >= syms.count()) {
                    continue;
                }
                int sec = syms.definingSection(sym);
                if (sec > 0 && elf.isExecutable(sec)) {
                    out.put(rel.offset(k), new long[] {sec, syms.value(sym) + rel.addend(k)} /* 0 for REL */);
                }
            }
            return out;
        }
        ByteBuffer data = elf.data(opd);
        for (int at = 0; at + 8 <= data.limit(); at += 8) {
            long address = data.getLong(at);
            int s = elf.sectionHolding(address, ElfFile.SHF_EXECINSTR, 0);
            if (s > 0) {
                out.put((long) at, new long[] {s, address - elf.sectionAddress(s)});
            }
        }
        return out;
    }
}
