package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.FunctionIndex;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolsAt;
import patchsites.collector.elf.SymbolTable;

/**
 * Finds the calls and jumps through function pointers held in objects whose names match
 * ({@code --pointer=pv_ops}): the memory-indirect form, whose relocation names the object (or the
 * section symbol of the section defining it) and whose instruction the architecture decodes
 * ({@link Arch#decodeMemoryIndirect}). The slot's default is the function named by the data
 * relocation at the slot in this object's copy of the object, when it defines one: a slot of an
 * object defined elsewhere has no default here, rather than a guess.
 */
public final class PointerScanner {
    private static final Comparator<PointerSite> ORDER = Comparator.comparingInt(PointerSite::sectionIndex)
            .thenComparingLong(PointerSite::offset);
    private static final byte NAMED = 1, SECTION = 2;

    private final TargetMatcher matcher;

    public PointerScanner(TargetMatcher matcher) {
        this.matcher = matcher;
    }

    public List<PointerSite> scan(ElfFile elf) {
        List<PointerSite> sites = new ArrayList<>();
        new Pass(elf, Arches.forObject(elf), sites).run();
        sites.sort(ORDER);
        return sites;
    }

    /** One scan of one object. */
    private final class Pass {
        private final ElfFile elf;
        private final Arch arch;
        private final List<PointerSite> sites;
        private final DecodedBranch branch = new DecodedBranch();
        private final Map<Integer, Pointers> bySymtab = new HashMap<>();

        Pass(ElfFile elf, Arch arch, List<PointerSite> sites) {
            this.elf = elf;
            this.arch = arch;
            this.sites = sites;
        }

        void run() {
            for (int target = 1; target < elf.sectionCount(); target++) {
                int r = elf.relocationSectionOf(target);
                if (r < 0 || !elf.isExecutable(target) || arch.abi().isTemplateSection(elf.sectionName(target))) {
                    continue;
                }
                int symtab = elf.sectionLink(r);
                if (elf.sectionType(symtab) != ElfFile.SHT_SYMTAB) {
                    continue; // dynamic relocations: no object file of ours
                }
                scanSection(r, target, bySymtab.computeIfAbsent(symtab, s -> new Pointers(s)));
            }
        }

        /** What one symbol table gives the pointer scan. */
        private final class Pointers {
            final SymbolPlaces places;
            final SymbolTable symbols;
            /** Per symbol: NAMED for a pointer object, SECTION for the section symbol of a section defining one. */
            final byte[] kind;
            /** The pointer objects by place: which one covers a section offset. */
            final FunctionIndex objects;
            private FunctionIndex functions;
            private SymbolsAt functionsAt;
            /** Data section -> (offset -> name of the function its relocation there names). */
            private final Map<Integer, Map<Long, String>> initializers = new HashMap<>();

            Pointers(int symtab) {
                symbols = elf.symbolTable(symtab);
                places = new SymbolPlaces(elf, symbols, Scanner.symbolConventions(arch));
                int n = symbols.count();
                kind = new byte[n];
                boolean[] defines = new boolean[elf.sectionCount()];
                for (int i = 1; i < n; i++) {
                    int type = symbols.type(i);
                    if (type == SymbolTable.STT_SECTION || type == SymbolTable.STT_FILE || type == SymbolTable.STT_FUNC) {
                        continue;
                    }
                    int off = symbols.nameOffset(i);
                    if (off != 0 && matcher.matches(symbols.names().bytes(), off, symbols.names().length(off))) {
                        kind[i] = NAMED;
                        int sec = symbols.definingSection(i);
                        if (sec > 0) {
                            defines[sec] = true;
                        }
                    }
                }
                for (int i = 1; i < n; i++) {
                    if (symbols.type(i) == SymbolTable.STT_SECTION) {
                        int sec = symbols.definingSection(i);
                        if (sec > 0 && defines[sec]) {
                            kind[i] = SECTION;
                        }
                    }
                }
                objects = new FunctionIndex(places, i -> kind[i] == NAMED);
            }

            FunctionIndex functions() {
                if (functions == null) {
                    functions = new FunctionIndex(places);
                }
                return functions;
            }

            SymbolsAt functionsAt() {
                if (functionsAt == null) {
                    functionsAt = new SymbolsAt(places, i -> symbols.type(i) == SymbolTable.STT_FUNC);
                }
                return functionsAt;
            }
        }

        private void scanSection(int relSection, int target, Pointers p) {
            Relocations rel = elf.relocations(relSection);
            byte[] kind = p.kind;
            SymbolTable symbols = p.symbols;
            long base = elf.sectionBase(target);
            ByteBuffer text = null;
            CodeContext context = null;
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (sym <= 0 || sym >= kind.length || kind[sym] == 0) {
                    continue;
                }
                if (text == null) {
                    text = elf.data(target);
                    FunctionIndex fi = p.functions();
                    context = offset -> {
                        int row = fi.containing(target, offset);
                        return row < 0 ? 0 : fi.start(row);
                    };
                }
                long field = rel.offset(k) - base;
                if (field < 0 || field >= text.limit()) {
                    throw new ElfFormatException(elf.sectionName(relSection) + " entry " + k + ": offset 0x"
                            + Long.toHexString(field) + " is outside " + elf.sectionName(target));
                }
                long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(text, field, rel.type(k));
                if (!arch.decodeMemoryIndirect(text, field, rel.type(k), context, branch)) {
                    continue;
                }
                int object = sym;
                long slot = addend + branch.targetBias;
                if (kind[sym] == SECTION) {
                    if (!p.places.place(sym)) {
                        continue;
                    }
                    long at = p.places.offset + slot;
                    int row = p.objects.containing(p.places.section, at);
                    if (row < 0) {
                        continue; // another object of that section
                    }
                    object = p.objects.symbol(row);
                    slot = at - p.objects.start(row);
                }
                String name = symbols.name(object);
                FunctionIndex fi = p.functions();
                int row = fi.containing(target, branch.start);
                sites.add(new PointerSite(target, elf.sectionName(target), branch.start, branch.length, branch.kind,
                        slot == 0 ? name : name + (slot < 0 ? "-0x" + Long.toHexString(-slot) : "+0x" + Long.toHexString(slot)),
                        slot, defaultOf(p, object, slot), row < 0 ? null : fi.name(row),
                        row < 0 ? 0 : branch.start - fi.start(row)));
            }
        }

        /** The function in the slot's static initializer in this object, or null. */
        private String defaultOf(Pointers p, int object, long slot) {
            if (!p.places.place(object) || elf.sectionType(p.places.section) == ElfFile.SHT_NOBITS) {
                return null;
            }
            long at = p.places.offset + slot;
            return p.initializers.computeIfAbsent(p.places.section, s -> initializersOf(p, s)).get(at);
        }

        /**
         * Offset → function for each absolute pointer-sized data relocation applying to {@code sec}:
         * the function it reaches by the scan's rule ({@link RelocationTarget}).
         */
        private Map<Long, String> initializersOf(Pointers p, int sec) {
            Map<Long, String> out = new HashMap<>();
            int r = elf.relocationSectionOf(sec);
            if (r < 0 || elf.sectionLink(r) == 0 || elf.symbolTable(elf.sectionLink(r)) != p.symbols) {
                return out;
            }
            long base = elf.sectionBase(sec);
            Relocations rel = elf.relocations(r);
            ByteBuffer data = rel.hasAddends() ? null : elf.data(sec);
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (rel.type(k) != arch.abi().tableAbsoluteType() || sym <= 0 || sym >= p.symbols.count()) {
                    continue;
                }
                long field = rel.offset(k) - base;
                long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(data, field, rel.type(k));
                int function = RelocationTarget.reached(p.places, p.functionsAt(), sym, addend, 0, false);
                if (function >= 0) {
                    out.put(field, p.symbols.name(function));
                }
            }
            return out;
        }
    }
}
