package patchsites.collector.scan;

import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolTable;
import patchsites.collector.elf.SymbolsAt;

/**
 * Which symbol a relocation reaches: the one rule of the scan and of audit's {@link BranchProbe}.
 * Through a named symbol, the symbol itself when symbol + addend + bias lands on it, or whatever
 * the addend when the architecture says the addend is no offset (ppc32 R_PPC_PLTREL24 carries
 * the GOT-pointer offset 0x8000 under -fPIC). Through a section symbol, the symbol standing at
 * section offset + addend + bias (a cross-section call to a local function).
 */
final class RelocationTarget {
    private RelocationTarget() {}

    /**
     * The symbol reached, or -1. {@code bias}: the branch's target bias, or the reference bias of
     * a field that is no branch; {@code candidates}: the symbols a section symbol may reach.
     */
    static int reached(SymbolPlaces places, SymbolsAt candidates, int sym, long addend, long bias,
            boolean addendIsNotOffset) {
        if (places.symbols().type(sym) != SymbolTable.STT_SECTION) {
            return addendIsNotOffset || addend + bias == 0 ? sym : -1;
        }
        return places.place(sym) ? candidates.at(places.section, places.offset + addend + bias) : -1;
    }
}
